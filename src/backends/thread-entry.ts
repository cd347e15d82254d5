// Entry file of a pool worker thread: wires worker_threads to the shared worker loop.
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
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

/**
 * Node 20 gives worker threads the parent's execArgv, but loader hooks the parent registered (tsx through
 * `node --import tsx`) do not reach them, and tsx registers itself only on the main thread. So each
 * `--import` module is imported here (resolved from the working directory, as Node does), and one that
 * exports loader hooks is registered as such in this thread.
 */
async function runImportFlags(): Promise<void> {
  const argv = process.execArgv;
  const requireFromCwd = createRequire(path.join(process.cwd(), 'noop.js'));
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const specifier = flag === '--import' ? argv[++i] : flag.startsWith('--import=') ? flag.slice('--import='.length) : undefined;
    if (specifier === undefined) continue;
    const url = /^[a-z]+:/.test(specifier) ? specifier : pathToFileURL(requireFromCwd.resolve(specifier)).href;
    const exported = (await import(url)) as { resolve?: unknown; load?: unknown };
    // Hooks modules get an (empty) data object, as `--import` registration gives tsx.
    if (typeof exported.resolve === 'function' || typeof exported.load === 'function') register(url, { data: {} });
  }
}

await runImportFlags();
const init = await next();
if (init.type !== 'init' || typeof init.channel === 'string') throw new TypeError('A pool worker thread must start with an init message');
await runWorker(init, init.channel, transport);
process.exit(0);
