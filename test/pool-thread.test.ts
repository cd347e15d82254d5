// The pool's conformance and fault suites over worker threads.
import { poolConformance } from './pool/conformance.js';
import { poolFaults } from './pool/faults.js';

poolConformance('thread');
poolFaults('thread');
