// The pool's conformance, fault and ordering suites over worker threads.
import { poolConformance } from './pool/conformance.js';
import { poolFaults } from './pool/faults.js';
import { poolOrdering } from './pool/ordering.js';

poolConformance('thread');
poolFaults('thread');
poolOrdering('thread');
