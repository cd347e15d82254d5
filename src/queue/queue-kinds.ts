// Loading this module registers the queue handle with every queue kind's attacher, so a receiver can decode
// any queue: the codec imports it on first sight of a queue, as it does the other built-in handle modules.
export { Queue } from './queue.js';
export { JoinableQueue } from './joinable-queue.js';
export { SimpleQueue } from './simple-queue.js';
