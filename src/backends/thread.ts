// A pool worker on a thread: a worker_threads Worker with a private MessagePort for control messages.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { fromWorker, type ToWorker } from '../wire/protocol.js';
import { runtimeFileUrl } from '../runtime-files.js';
import { atomicsWaiter } from '../wire/word-waiter.js';
import type { ExitInfo, BackendWorkerOptions, BackendWorker } from './backend-worker.js';
import { threadExecArgv } from './worker-exec-argv.js';

const entry = runtimeFileUrl('backends/worker-entry.js');
/**
 * How long a kill waits for a task module's import to settle. V8 aborts the whole process (`Check failed:
 * (location_) != nullptr` in SourceTextModule::ExecuteAsyncModule) when an isolate is terminated inside the
 * evaluation of a module with top-level await, so a thread that is importing a task module (the pool imports
 * a function's module as soon as it names it) is terminated once the import is over, or past this bound.
 */
const importGraceMs = 1000;

export class ThreadWorker implements BackendWorker {
  readonly channel: SharedArrayBuffer;
  readonly channelRef: SharedArrayBuffer;
  readonly ops = atomicsWaiter;
  readonly movesBuffers = true;
  readonly #worker: Worker;
  readonly #port: MessagePort;
  #error: unknown;
  /** The task module imports under way in the thread (src/worker/current-worker.ts counts them). */
  readonly #imports = new Int32Array(new SharedArrayBuffer(4));
  #killed = false;
  #onMessage: ((message: ReturnType<typeof fromWorker>) => void) | undefined;

  constructor(options: BackendWorkerOptions) {
    this.channel = new SharedArrayBuffer(options.channelBytes);
    this.channelRef = this.channel;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const env = options.env === undefined ? undefined : { ...options.env };
    const execArgv = threadExecArgv(options.execArgv);
    this.#worker = new Worker(entry, {
      workerData: { port: port2, imports: this.#imports },
      transferList: [port2],
      ...(execArgv === undefined ? {} : { execArgv }),
      ...(env === undefined ? {} : { env }),
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    });
    // Without a listener an uncaught error in the worker would be rethrown in the parent.
    this.#worker.on('error', (error) => {
      this.#error = error;
    });
  }

  post(message: ToWorker, transfer: readonly ArrayBuffer[] = []): void {
    this.#port.postMessage(message, [...transfer]);
  }

  onMessage(listener: (message: ReturnType<typeof fromWorker>) => void): void {
    this.#onMessage = listener;
    this.#port.on('message', (value) => listener(fromWorker(value)));
  }

  onExit(listener: (info: ExitInfo) => void): void {
    this.#worker.once('exit', (code) => {
      // Messages the thread posted before it ended are delivered before its exit is reported: an answer
      // sent is an answer received, even from a worker that died right after.
      for (let left = receiveMessageOnPort(this.#port); left !== undefined; left = receiveMessageOnPort(this.#port)) {
        this.#onMessage?.(fromWorker(left.message));
      }
      this.#port.close();
      listener({ code, signal: null, ...(this.#error === undefined ? {} : { error: this.#error }) });
    });
  }

  kill(): void {
    if (this.#killed) return;
    this.#killed = true;
    if (Atomics.load(this.#imports, 0) === 0) {
      void this.#worker.terminate();
      return;
    }
    const deadline = Date.now() + importGraceMs;
    const timer = setInterval(() => {
      if (Atomics.load(this.#imports, 0) > 0 && Date.now() < deadline) return;
      clearInterval(timer);
      void this.#worker.terminate();
    }, 2);
  }

  ref(keep: boolean): void {
    if (keep) this.#worker.ref();
    else this.#worker.unref();
    if (keep) this.#port.ref();
    else this.#port.unref();
  }

  attached(): void {}
}
