// workerpool's worker script for the benchmark.
import workerpool from 'workerpool';
import { inc, incBatch, spin, sum, work } from './tasks.js';

workerpool.worker({ inc, incBatch, sum, work, spin });
