// The waiting calls of one shared handle (a primitive, a queue, a pipe end): each can be rejected by its caller's
// signal or by closing the handle, and the handle's memory goes only once the last has unwound.
import { driveAsync, type WaitSteps } from './wait.js';

export class PendingWaits {
  readonly #waiting = new Set<AbortController>();

  get size(): number {
    return this.#waiting.size;
  }

  /** Runs a slow path; `release` runs when it was the last one of a closed handle (see `abortAll`). */
  async run<R>(waiting: WaitSteps<R>, signal: AbortSignal | undefined, closed: () => boolean, release: () => void): Promise<R> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#waiting.add(controller);
    try {
      return await driveAsync(waiting, controller.signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#waiting.delete(controller);
      if (closed() && this.#waiting.size === 0) release();
    }
  }

  /** Rejects every waiting call with `error`. */
  abortAll(error: Error): void {
    for (const controller of this.#waiting) controller.abort(error);
  }
}
