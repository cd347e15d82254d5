// The pool's conformance and fault suites over child processes.
import { poolConformance } from './pool/conformance.js';
import { poolFaults } from './pool/faults.js';

poolConformance('process');
poolFaults('process');
