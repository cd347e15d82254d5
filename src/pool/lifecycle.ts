// The pool's life: running, closing, closed, terminated or broken; what a new task is told once it is
// not running; failing every task at terminate or break; when join() resolves.
import { PoolStateError, PoolTerminatedError } from './errors.js';
import { failTask, type Task } from './task.js';
import type { TaskQueue } from './task-queue.js';
import type { WorkerSlot } from './worker-slot.js';

export type EngineState = 'running' | 'closing' | 'closed' | 'terminated' | 'broken';

export class Lifecycle {
  readonly #slots: readonly WorkerSlot[];
  readonly #queue: TaskQueue<Task>;
  #state: EngineState = 'running';
  #brokenError: Error | undefined;
  readonly #joined: Promise<void>;
  #resolveJoined!: () => void;
  #gone = false;
  /** Called once, when every worker is gone after close, terminate or break. */
  readonly #onJoined: (state: 'closed' | 'terminated' | 'broken', error: Error | undefined) => void;

  constructor(slots: readonly WorkerSlot[], queue: TaskQueue<Task>, onJoined: (state: 'closed' | 'terminated' | 'broken', error: Error | undefined) => void) {
    this.#slots = slots;
    this.#queue = queue;
    this.#onJoined = onJoined;
    this.#joined = new Promise((resolve) => (this.#resolveJoined = resolve));
  }

  get state(): EngineState {
    return this.#state;
  }

  /** Terminated or broken: no dispatch, no replacement workers. */
  get stopped(): boolean {
    return this.#state === 'terminated' || this.#state === 'broken';
  }

  /** Whether a worker that is gone must be replaced: the pool runs, or it closes with work left. */
  needsWorkers(): boolean {
    return this.#state === 'running' || (this.#state === 'closing' && this.hasWork());
  }

  hasWork(): boolean {
    return this.#queue.size > 0 || this.#slots.some((slot) => slot.held > 0);
  }

  /** Why a new task is refused; undefined while the pool runs. */
  refusal(): Error | undefined {
    switch (this.#state) {
      case 'running':
        return undefined;
      case 'broken':
        return this.#brokenError;
      case 'terminated':
        return new PoolTerminatedError('The pool was terminated; it takes no new tasks');
      default:
        return new PoolStateError('ERR_MP_POOL_CLOSED', 'The pool is closed; it takes no new tasks');
    }
  }

  close(): Promise<void> {
    if (this.#state === 'running') this.#state = 'closing';
    this.finishCloseIfIdle();
    return this.#joined;
  }

  join(): Promise<void> {
    if (this.#state === 'running') {
      return Promise.reject(new PoolStateError('ERR_MP_POOL_RUNNING', 'join() needs close() or terminate() first (the pool is still running)'));
    }
    return this.#joined;
  }

  terminate(): Promise<void> {
    if (this.#state === 'terminated') return this.#joined;
    const wasBroken = this.#state === 'broken';
    this.#state = 'terminated';
    if (!wasBroken) this.#failEverything(new PoolTerminatedError());
    for (const slot of this.#slots) slot.kill();
    this.checkJoined();
    return this.#joined;
  }

  /** A closing pool with no work left stops its workers. */
  finishCloseIfIdle(): void {
    if (this.#state !== 'closing' || this.hasWork()) return;
    this.#state = 'closed';
    for (const slot of this.#slots) slot.stop();
    this.checkJoined();
  }

  checkJoined(): void {
    if (this.#state === 'running' || this.#state === 'closing') return;
    if (this.#gone || !this.#slots.every((slot) => slot.state === 'gone')) return;
    this.#gone = true;
    this.#resolveJoined();
    this.#onJoined(this.#state, this.#brokenError);
  }

  /** The pool cannot run tasks (an initializer threw, workers die at start-up): every call fails with `error`. */
  break(error: Error): void {
    if (this.stopped) return;
    this.#brokenError = error;
    this.#state = 'broken';
    this.#failEverything(error);
    for (const slot of this.#slots) slot.kill();
    this.checkJoined();
  }

  #failEverything(error: Error): void {
    for (let task = this.#queue.shift(); task !== undefined; task = this.#queue.shift()) failTask(task, error);
    for (const slot of this.#slots) {
      for (const task of slot.heldTasks()) failTask(task, error);
    }
  }
}
