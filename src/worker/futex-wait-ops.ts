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
    // Every waiter, not one: an aborted futexWaitAsync stays in the kernel's queue until its waiter thread's
    // next slice (up to 100 ms), and a wake for one could go to it instead of the live wait, which then
    // slept through the result (B1 map on processes stalled ~100 ms in one run of three). The channel's
    // words have one live waiter at most, so the others are only those stale ones, freed early this way.
    futexWake(array, index);
  },
};
