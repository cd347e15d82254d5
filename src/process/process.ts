// Process: Python's multiprocessing.Process. A target function (by reference, as tasks are) with its
// arguments, or a subclass with `run()`, runs in a child process (or a worker thread); start, join, exit code.
import { expected, MultiprocError } from '../errors.js';
import { startChild, type Child } from '../backends/child.js';
import type { BackendName } from '../backends/backend-worker.js';
import { encode, registry } from '../serialize/index.js';
import { currentProcess } from '../worker/current-process.js';
import { importingTaskModule } from '../worker/current-worker.js';
import { PoolBootstrapError } from '../pool/errors.js';
import { taskOf, type TaskRef } from '../pool/task-ref.js';

export interface ProcessOptions {
  /** What the child runs: a task reference or an exported, registered function. @default this.run() of a subclass */
  target?: TaskRef | ((...args: never[]) => unknown);
  /** Its arguments; they travel through the codec, so locks, queues, shared memory and class instances arrive attached. */
  args?: readonly unknown[];
  /** @default `Process-N` */
  name?: string;
  /** A daemon child is killed when this program exits (or dies); a non-daemon one keeps it running until it ends. @default false */
  daemon?: boolean;
  /** A child process, or a worker thread. @default 'process' */
  backend?: BackendName;
}

/** A Process used out of turn: started twice, joined before start, closed while running. */
export class ProcessStateError extends MultiprocError {
  constructor(message: string) {
    super('ERR_MP_PROCESS_STATE', message);
  }
}

/** The target cannot be sent to a child: not a task reference nor a function the codec knows by module and name. */
export class ProcessTargetError extends MultiprocError {
  constructor(message: string) {
    super('ERR_MP_PROCESS_TARGET', message);
  }
}

let counter = 0;
const children = new Set<Process>();
let exitHookInstalled = false;

/** Daemon children are killed as this program exits, as Python terminates them. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of children) if (child.daemon && child.isAlive()) child.kill();
  });
}

export class Process {
  name: string;
  daemon: boolean;
  readonly #target: TaskRef | undefined;
  readonly #args: readonly unknown[];
  readonly #backend: BackendName;
  #child: Child | undefined;
  #exitcode: number | null = null;
  #exited: Promise<number> | undefined;
  #closed = false;

  constructor(options: ProcessOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError(expected('options', 'an object', options));
    const { target, args = [], backend = 'process', daemon = false } = options;
    if (!Array.isArray(args)) throw new TypeError(expected('args', 'an array of arguments', args));
    if (backend !== 'process' && backend !== 'thread') throw new TypeError(expected('backend', "'process' or 'thread'", backend));
    if (typeof daemon !== 'boolean') throw new TypeError(expected('daemon', 'a boolean', daemon));
    if (options.name !== undefined && typeof options.name !== 'string') throw new TypeError(expected('name', 'a string', options.name));
    this.#target = target === undefined ? undefined : taskOf(target, 'target', (message) => new ProcessTargetError(message));
    this.#args = args;
    this.#backend = backend;
    this.name = options.name ?? `Process-${++counter}`;
    this.daemon = daemon;
  }

  /** What the child runs when there is no target: override it in a subclass (registered with the codec). */
  run(): unknown {
    throw new ProcessTargetError(`Process \`${this.name}\` has no target and its class does not override run()`);
  }

  /** Starts the child. Arguments (or this instance, for a subclass) are encoded now. */
  start(): void {
    if (importingTaskModule()) throw new PoolBootstrapError(`Process \`${this.name}\` was started`);
    if (this.#closed) throw new ProcessStateError(`Process \`${this.name}\` is closed`);
    if (this.#child !== undefined) throw new ProcessStateError(`Process \`${this.name}\` was already started; a process can be started once`);
    const { moduleUrl, value } = this.#startValue();
    const parent = currentProcess();
    const child = startChild(this.#backend, {
      type: 'process-start', v: 1, moduleUrl, packet: encode(value),
      current: { name: this.name, pid: 0, daemon: this.daemon }, parent: { name: parent.name, pid: process.pid, daemon: parent.daemon },
    });
    this.#child = child;
    if (this.daemon) {
      child.ref(false);
      installExitHook();
    }
    children.add(this);
    this.#exited = child.exited.then(({ code, signal }) => {
      this.#exitcode = signal !== null ? -(process.getBuiltinModule('node:os').constants.signals[signal] ?? 0) : (code ?? 0);
      children.delete(this);
      return this.#exitcode;
    });
  }

  /** Resolves once the child has ended, or after `timeout` ms (check `exitcode` to tell which). */
  async join(timeout?: number): Promise<void> {
    if (timeout !== undefined && typeof timeout !== 'number') throw new TypeError(expected('timeout', 'a non-negative number of ms or Infinity', timeout));
    if (timeout !== undefined && !(timeout >= 0)) throw new RangeError(expected('timeout', 'a non-negative number of ms or Infinity', timeout));
    if (this.#exited === undefined) throw new ProcessStateError(`Process \`${this.name}\` must be started before join()`);
    // setTimeout would fire at once for Infinity (or anything past 2^31-1 ms): those wait for the end.
    if (timeout === undefined || timeout > 0x7fffffff) {
      await this.#exited;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeout)))]);
    clearTimeout(timer);
  }

  isAlive(): boolean {
    return this.#child !== undefined && this.#exitcode === null;
  }

  /** Undefined before start; for a thread, this program's pid. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** null while running (or before start); the exit code after, negative the signal number if a signal ended it (as Python). */
  get exitcode(): number | null {
    return this.#exitcode;
  }

  /** Settles with the exit code once the child ended (Python's `sentinel`, as a Promise). */
  get sentinel(): Promise<number> {
    if (this.#exited === undefined) throw new ProcessStateError(`Process \`${this.name}\` has no sentinel before start()`);
    return this.#exited;
  }

  /** SIGTERM (a thread is stopped). */
  terminate(): void {
    if (this.isAlive()) this.#child!.signal('SIGTERM');
  }

  /** SIGKILL (a thread is stopped). */
  kill(): void {
    if (this.isAlive()) this.#child!.signal('SIGKILL');
  }

  /** Releases the Process; it must have ended (Python raises ValueError otherwise). */
  close(): void {
    if (this.isAlive()) throw new ProcessStateError(`Process \`${this.name}\` is still running; close() needs it to have ended (join() first)`);
    this.#closed = true;
  }

  /** `await using p = new Process(...)`: a child still running at the end of the block is terminated and awaited. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.isAlive()) {
      this.terminate();
      await this.#exited;
    }
    this.#closed = true;
  }

  #startValue(): { moduleUrl: string; value: unknown } {
    if (this.#target !== undefined) return { moduleUrl: this.#target.url, value: { name: this.#target.name, args: this.#args } };
    const entry = registry.classOf(this.constructor);
    if (entry === undefined || this.constructor === Process) {
      throw new ProcessTargetError(`Process \`${this.name}\` has no target: give { target } (a task reference or an exported, registered ` +
        `function), or subclass Process with run() and register the subclass (registerClass(${this.constructor.name}, import.meta.url))`);
    }
    return { moduleUrl: entry.moduleUrl, value: { instance: this } };
  }
}

/** Python's `active_children()`: the started Processes of this program that have not ended. */
export function activeChildren(): Process[] {
  return [...children].filter((child) => child.isAlive());
}

/** Python's `cpu_count()`: the logical CPUs this program may use. */
export function cpuCount(): number {
  return process.getBuiltinModule('node:os').availableParallelism();
}

export { currentProcess, parentProcess, type ProcessInfo } from '../worker/current-process.js';
