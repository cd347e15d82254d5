// The pool's conformance, fault, ordering, cancellation and scheduling suites over worker threads.
import { poolCancellation } from './pool/cancellation.js';
import { poolConformance } from './pool/conformance.js';
import { poolFaults } from './pool/faults.js';
import { poolOrdering } from './pool/ordering.js';
import { poolScheduling } from './pool/scheduling.js';

poolConformance('thread');
poolFaults('thread');
poolOrdering('thread');
poolCancellation('thread');
poolScheduling('thread');
