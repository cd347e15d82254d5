// The pool's conformance, fault, ordering, cancellation and scheduling suites over child processes.
import { poolCancellation } from './pool/cancellation.js';
import { poolConformance } from './pool/conformance.js';
import { poolFaults } from './pool/faults.js';
import { poolOrdering } from './pool/ordering.js';
import { poolScheduling } from './pool/scheduling.js';

poolConformance('process');
poolFaults('process');
poolOrdering('process');
poolCancellation('process');
poolScheduling('process');
