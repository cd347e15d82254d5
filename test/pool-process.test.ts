// The pool's conformance, fault and ordering suites over child processes.
import { poolConformance } from './pool/conformance.js';
import { poolFaults } from './pool/faults.js';
import { poolOrdering } from './pool/ordering.js';

poolConformance('process');
poolFaults('process');
poolOrdering('process');
