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
    // Every waiter: a channel word has one live waiter at most, and waking all of them cannot leave the live
    // one asleep behind another (an aborted wait still in the kernel's queue once took such a wake).
    futexWake(array, index);
  },
};
