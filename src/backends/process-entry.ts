// Entry file of a pool worker process: wires the IPC channel and the shared segment to the shared worker loop.
import { SharedMemory } from '../shm/shared-memory.js';
import { runWorker, type WorkerTransport } from '../worker/run-worker.js';
import { toWorker, type ToWorker } from '../worker/protocol.js';
import { futexWaitOps } from '../worker/futex-wait-ops.js';

const received: ToWorker[] = [];
let waiting: ((message: ToWorker) => void) | undefined;

process.on('message', (value) => {
  const message = toWorker(value);
  if (waiting === undefined) {
    received.push(message);
    return;
  }
  const resolve = waiting;
  waiting = undefined;
  resolve(message);
});
// The pool is gone (closed its end or died): nothing will ever be asked of this process again.
process.on('disconnect', () => process.exit(0));

function next(): ToWorker | Promise<ToWorker> {
  const message = received.shift();
  if (message !== undefined) return message;
  return new Promise((resolve) => (waiting = resolve));
}

const transport: WorkerTransport = {
  ops: futexWaitOps,
  pid: process.pid,
  threadId: 0,
  receive: next,
  post(message) {
    process.send?.(message);
  },
};

const init = await next();
if (init.type !== 'init' || typeof init.channel !== 'string') throw new TypeError('A pool worker process must start with an init message');
const segment = SharedMemory.attach(init.channel);
await runWorker(init, segment.buf, transport);
process.disconnect();
