// What a running task can learn about itself: whether its caller aborted it or its time limit passed, as a
// flag in the worker's shared channel (read by synchronous loops) and as an AbortSignal (asynchronous work).
import { AbortKind, Word, type Channel } from '../wire/channel.js';
import { waitOver } from '../wire/word-waiter.js';

/** The task running in this pool worker, as `currentTask()` gives it. */
export interface TaskInfo {
  /** The pool's id of the task (a chunk of a map-like call is one task). */
  readonly id: number;
  /**
   * True once the caller aborted the task (its `signal`) or its time limit passed. Reads shared memory, so
   * it turns true inside a synchronous loop too; one atomic load per read.
   */
  readonly aborted: boolean;
  /**
   * Fires when the task is aborted or timed out, with a `DOMException` named `AbortError` or `TimeoutError`
   * as its reason. Needs the event loop to run: for asynchronous tasks (pass it to `fetch`, timers, streams).
   */
  readonly signal: AbortSignal;
  /** Throws the abort reason (the signal's `reason`) if `aborted` is true. Cheap enough for a hot loop. */
  throwIfAborted(): void;
}

/** The worker's channel and the task last handed out, as every copy of this module sees them. */
interface TaskState {
  channel?: Channel;
  current?: RunningTask;
}

/**
 * Kept on the thread's global object, not in this module, as currentWorker() is: a task module may reach
 * another copy of this code than the worker loop did, and must see the same task. The copies share the
 * channel and the task object (whose methods are those of the copy that made it), so the copy running the
 * loop ends a task another copy handed out.
 */
const slot = Symbol.for('multiproc.currentTask');
const global = globalThis as { [slot]?: TaskState };
const state: TaskState = (global[slot] ??= {});

function abortReason(words: Int32Array): DOMException {
  return Atomics.load(words, Word.AbortKind) === AbortKind.TimedOut
    ? new DOMException('The task ran past its time limit', 'TimeoutError')
    : new DOMException('The caller aborted the task', 'AbortError');
}

class RunningTask implements TaskInfo {
  readonly id: number;
  readonly #channel: Channel;
  #controller: AbortController | undefined;
  #stopWatching: AbortController | undefined;
  #reason: DOMException | undefined;

  constructor(id: number, on: Channel) {
    this.id = id;
    this.#channel = on;
  }

  get aborted(): boolean {
    return Atomics.load(this.#channel.words, Word.Abort) === this.id;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.#abortReason());
      else void this.#watch(this.#controller);
    }
    return this.#controller.signal;
  }

  throwIfAborted(): void {
    if (Atomics.load(this.#channel.words, Word.Abort) === this.id) throw this.#abortReason();
  }

  /** The task is over: stop watching the word. */
  end(): void {
    this.#stopWatching?.abort(waitOver);
  }

  #abortReason(): DOMException {
    return (this.#reason ??= abortReason(this.#channel.words));
  }

  /** Sleeps on the abort word (only once the task asked for its signal) until the pool names this task. */
  async #watch(controller: AbortController): Promise<void> {
    const stop = (this.#stopWatching = new AbortController());
    // A pending asynchronous wait does not keep a worker thread's event loop alive; a task waiting only
    // for its signal must not let the thread exit.
    const keepAlive = setInterval(() => {}, 2 ** 30);
    try {
      while (!stop.signal.aborted) {
        const value = Atomics.load(this.#channel.words, Word.Abort);
        if (value === this.id) {
          controller.abort(this.#abortReason());
          return;
        }
        await this.#channel.waitAbort(value, stop.signal);
      }
    } finally {
      clearInterval(keepAlive);
    }
  }
}

/** Called by the worker runtime only, once, with the worker's side of its channel. */
export function setTaskChannel(worker: Channel): void {
  state.channel = worker;
}

/** Called by the worker runtime after each result: the task it answered is over. */
export function endCurrentTask(): void {
  if (state.current === undefined) return;
  state.current.end();
  delete state.current;
}

/**
 * The task running the calling code, or `undefined` outside a pool task (on the main thread, in an
 * initializer). A well-behaved long task checks it to stop by itself when its caller aborts or its time
 * limit passes; its worker is then kept instead of replaced. Read it at the start of the task (it stays
 * valid across `await`s until the task returns).
 */
export function currentTask(): TaskInfo | undefined {
  const { channel } = state;
  if (channel === undefined) return undefined;
  const id = Atomics.load(channel.words, Word.Running);
  if (id === 0) return undefined;
  if (state.current?.id !== id) {
    state.current?.end();
    state.current = new RunningTask(id, channel);
  }
  return state.current;
}
