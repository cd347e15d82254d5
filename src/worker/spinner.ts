// How long an idle worker busy-waits for its next task, backing off when spinning only delays the pool.

/**
 * How long the worker spins for its next task. When the pool's thread shares this worker's core (a busy
 * host), spinning keeps the pool from running: the next task then arrives just after the worker gives up
 * and sleeps, every time. Seeing that a few times in a row, the worker stops spinning for a while, then
 * tries again.
 */
export class Spinner {
  readonly #full: number;
  micros: number;
  #quickWakes = 0;
  #untilRetry = 0;

  constructor(micros: number) {
    this.#full = micros;
    this.micros = micros;
  }

  hit(): void {
    this.#quickWakes = 0;
  }

  woken(parkedMs: number): void {
    if (this.micros === 0) {
      if (--this.#untilRetry <= 0) this.micros = this.#full;
      return;
    }
    this.#quickWakes = parkedMs * 1000 < Math.min(20, this.#full / 2) ? this.#quickWakes + 1 : 0;
    if (this.#quickWakes >= 3) {
      this.micros = 0;
      this.#untilRetry = 500;
      this.#quickWakes = 0;
    }
  }
}
