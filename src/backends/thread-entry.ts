// Entry file of a pool worker thread: wires worker_threads to the shared worker loop.
import { receiveMessageOnPort, threadId, workerData, type MessagePort } from 'node:worker_threads';
import { runWorker, type WorkerTransport } from '../worker/run-worker.js';
import { toWorker, type ToWorker } from '../worker/protocol.js';
import { atomicsWaitOps } from '../worker/wait-ops.js';

const { port } = workerData as { port: MessagePort };

function next(): Promise<ToWorker> {
  return new Promise((resolve) => port.once('message', (value) => resolve(toWorker(value))));
}

const transport: WorkerTransport = {
  ops: atomicsWaitOps,
  pid: process.pid,
  threadId,
  receive() {
    // postMessage has queued the message before the doorbell frame was written, so it is normally here now.
    const received = receiveMessageOnPort(port);
    return received === undefined ? next() : toWorker(received.message);
  },
  post(message, transfer) {
    port.postMessage(message, transfer);
  },
};

const init = await next();
if (init.type !== 'init' || typeof init.channel === 'string') throw new TypeError('A pool worker thread must start with an init message');
await runWorker(init, init.channel, transport);
process.exit(0);
