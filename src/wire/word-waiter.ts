// How one side of a channel sleeps and wakes the other; between threads of one process: V8 Atomics (no addon
// to load in a worker thread; the futex version for processes is in futex-word-waiter.ts).

// Node 20 has Atomics.waitAsync; the ES2023 lib does not declare it.
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: boolean; value: Promise<string> | string };
}).waitAsync.bind(Atomics);

/**
 * The reason multiproc ends its own waits with: one value, since `abort()` without a reason builds a
 * DOMException, stack trace and all, each time.
 */
export const waitOver = Symbol('multiproc: the wait is over');

export interface WordWaiter {
  /** Blocks while `array[index] === value`, at most `ms`. */
  wait(array: Int32Array, index: number, value: number, ms: number): void;
  /** Resolves once `array[index] !== value` may hold (or on abort). Must not block the event loop. */
  waitAsync(array: Int32Array, index: number, value: number, signal: AbortSignal): Promise<unknown>;
  wake(array: Int32Array, index: number): void;
}

/** Signals whose abort already wakes their word (one listener per stretch of waiting, not one per wait). */
const watched = new WeakSet<AbortSignal>();

/** Threads of one process: V8's own waiter list (cannot wake another process). */
export const atomicsWaiter: WordWaiter = {
  wait(array, index, value, ms) {
    Atomics.wait(array, index, value, ms);
  },
  waitAsync(array, index, value, signal) {
    const result = waitAsync(array, index, value);
    const pending = result.value;
    if (typeof pending === 'string') return Promise.resolve();
    // A pending Atomics.waitAsync cannot be cancelled, and every one left pending stays in V8's waiter
    // list, which each notify walks: an abort wakes its own waiter (a spurious wake for any other waiter
    // on the word, which re-checks and waits again) so none is ever left behind. A signal serves one
    // stretch of waiting on one word, so its listener is added once, not per wait: the pool waits once
    // per wake, and adding and removing an EventTarget listener cost more than the wait itself.
    if (!watched.has(signal)) {
      watched.add(signal);
      signal.addEventListener('abort', () => Atomics.notify(array, index), { once: true });
    }
    return pending;
  },
  wake(array, index) {
    Atomics.notify(array, index);
  },
};
