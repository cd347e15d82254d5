// The demo's task module: the pool's workers import it and run its exports by name.
import { currentWorker } from '../worker/current-worker.js';

/** Counts the primes in [from, to) by trial division: honest CPU work. */
export function countPrimes(range: readonly [number, number]): number {
  let count = 0;
  for (let n = Math.max(2, range[0]); n < range[1]; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

/** Which worker ran call number `_call`: index, pid and thread id. */
export function whoAmI(_call: number): string {
  const worker = currentWorker();
  return worker === undefined ? 'not in a worker' : `worker ${worker.index} (pid ${worker.pid}, thread ${worker.threadId})`;
}
