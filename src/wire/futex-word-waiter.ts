// How one side of a channel sleeps and wakes the other between processes: the addon's futex.
import { futexWait, futexWaitAsync, futexWake } from '../native/futex.js';
import type { WordWaiter } from './word-waiter.js';

/** Separate processes mapping one segment: the addon's futex (shared, not private). */
export const futexWaiter: WordWaiter = {
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
