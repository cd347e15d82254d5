// How one side of a channel sleeps and wakes the other between processes: the addon's futex.
import { futexWait, futexWaitAsync, futexWake } from '../native/futex.js';
import type { WaitOps } from './wait-ops.js';

/** Separate processes mapping one segment: the addon's futex (shared, not private). */
export const futexWaitOps: WaitOps = {
  wait(array, index, value, ms) {
    futexWait(array, index, value, ms);
  },
  waitAsync(array, index, value, signal) {
    return futexWaitAsync(array, index, value, { signal }).catch(() => undefined);
  },
  wake(array, index) {
    futexWake(array, index, 1);
  },
};
