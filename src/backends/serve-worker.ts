// What every pool worker, thread or process, runs (from backends/worker-entry.ts): wires its control lane
// (a MessagePort, or the IPC channel and a shared segment) to the shared worker loop. One function for both
// backends, so that in the bundle the workers of either backend run one script, core.cjs.
import path from 'node:path';
import { isMainThread, receiveMessageOnPort, threadId, workerData, type MessagePort } from 'node:worker_threads';
import { importModule } from '../import-module.js';
import { bytesToPacket } from '../serialize/index.js';
import { dieWithParent } from '../native/parent-death.js';
import { SharedMemory } from '../shm/shared-memory.js';
import { futexWaiter } from '../wire/futex-word-waiter.js';
import { toWorker, type ToWorker } from '../wire/protocol.js';
import { isProcessStart, processTargetFlag, runProcess } from '../worker/run-process.js';
import { runWorker, type WorkerTransport } from '../worker/run-worker.js';
import { shareTaskImports } from '../worker/current-worker.js';
import { atomicsWaiter } from '../wire/word-waiter.js';

/**
 * Node 20 gives worker threads the parent's execArgv, but loader hooks the parent registered (tsx through
 * `node --import tsx`) do not reach them, and tsx registers itself only on the main thread. So each
 * `--import` module is imported here (resolved from the working directory, as Node does), and one that
 * exports loader hooks is registered as such in this thread.
 */
async function runImportFlags(): Promise<void> {
  const argv = process.execArgv;
  const specifiers: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const specifier = flag === '--import' ? argv[++i] : flag.startsWith('--import=') ? flag.slice('--import='.length) : undefined;
    if (specifier !== undefined) specifiers.push(specifier);
  }
  if (specifiers.length === 0) return;
  const { createRequire, register } = process.getBuiltinModule('node:module');
  const requireFromCwd = createRequire(path.join(process.cwd(), 'noop.js'));
  for (const specifier of specifiers) {
    const url = /^[a-z]+:/.test(specifier) ? specifier : process.getBuiltinModule('node:url').pathToFileURL(requireFromCwd.resolve(specifier)).href;
    const exported = (await importModule(url)) as { resolve?: unknown; load?: unknown };
    // Hooks modules get an (empty) data object, as `--import` registration gives tsx.
    if (typeof exported.resolve === 'function' || typeof exported.load === 'function') register(url, { data: {} });
  }
}

async function serveThread(): Promise<void> {
  const { processStart } = workerData as { processStart?: unknown };
  if (isProcessStart(processStart)) {
    await runImportFlags();
    process.exit(await runProcess(processStart));
  }
  const { port, imports } = workerData as { port: MessagePort; imports?: Int32Array };
  if (imports !== undefined) shareTaskImports(imports);
  const next = (): Promise<ToWorker> => new Promise((resolve) => port.once('message', (value) => resolve(toWorker(value))));
  const transport: WorkerTransport = {
    ops: atomicsWaiter,
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
  await runImportFlags();
  const init = await next();
  if (init.type !== 'init' || typeof init.channel === 'string') throw new TypeError('A pool worker thread must start with an init message');
  await runWorker(init, init.channel, transport);
  process.exit(0);
}

/** The pool's pid, as the pool passed it (process.ts), or `process.ppid` from a parent that did not. */
function poolPid(): number {
  const given = Number(process.argv[2]);
  return Number.isSafeInteger(given) && given > 0 ? given : process.ppid;
}

/** A `Process` of the process backend: its start comes first over IPC; a daemon dies with its parent. */
async function serveProcessTarget(): Promise<void> {
  const start = await new Promise<unknown>((resolve) => process.once('message', resolve));
  if (!isProcessStart(start)) throw new TypeError('A Process child must start with a process-start message');
  if (start.current.daemon) dieWithParent(start.parent.pid);
  process.disconnect();
  // It came as bytes (backends/child.ts).
  process.exit(await runProcess({ ...start, packet: bytesToPacket(start.packet.data) }));
}

async function serveProcess(): Promise<void> {
  if (process.argv[3] === processTargetFlag) return serveProcessTarget();
  // A CPU-bound task blocks the event loop, so 'disconnect' below cannot end this process while one runs:
  // the kernel (or, without PR_SET_PDEATHSIG, the addon's polling thread) kills it when the pool dies.
  dieWithParent(poolPid());
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
  // The pool closed its end (or died between tasks): nothing will ever be asked of this process again.
  process.on('disconnect', () => process.exit(0));
  const next = (): ToWorker | Promise<ToWorker> => received.shift() ?? new Promise((resolve) => (waiting = resolve));
  const transport: WorkerTransport = {
    ops: futexWaiter,
    pid: process.pid,
    threadId: 0,
    receive: next,
    post(message) {
      // Resolves once the pipe has taken all of it: a result of 100 KB or more is written in parts, each
      // when this process's event loop runs, so a worker that blocked right after sending it held the rest
      // back until it woke (B1 map on processes stalled 50 ms in one run of three).
      return new Promise<void>((resolve) => {
        if (process.send?.(message, undefined, undefined, () => resolve()) === undefined) resolve();
      });
    },
  };
  const init = await next();
  if (init.type !== 'init' || typeof init.channel !== 'string') throw new TypeError('A pool worker process must start with an init message');
  const segment = SharedMemory.attach(init.channel);
  await runWorker(init, segment.buf, transport);
  process.disconnect();
}

/** Serves the pool that started this thread or process, until it is told to stop. */
export function serveWorker(): Promise<void> {
  // A pool worker process is the main thread of its own process, with the IPC channel fork() gave it.
  return isMainThread ? serveProcess() : serveThread();
}
