// The spin before this thread's event loop sleeps (native/loop-spin.cc), held while a reply is expected soon.
import { native } from './binding.js';

const noop = (): void => undefined;
let touch: () => void = noop;

/**
 * While the returned release is not called, each time this thread's event loop is about to sleep it first tries
 * for up to `spinNs` nanoseconds (yielding the CPU between tries) whether an event is ready: a reply that comes
 * within that time is taken without waking an idle CPU. Only within 20 ms of the hold or the last
 * `touchLoopSpin()`: past that the loop sleeps at once. Holders add up; the longest spin asked is used. Without
 * the addon (or off Linux) nothing spins and the release does nothing.
 */
export function holdLoopSpin(spinNs: number): () => void {
  if (spinNs <= 0) return noop;
  let addon;
  try {
    addon = native();
  } catch {
    return noop;
  }
  const { loopSpinHold, loopSpinTouch, loopSpinRelease } = addon;
  if (loopSpinHold === undefined || loopSpinRelease === undefined || loopSpinTouch === undefined) return noop;
  touch = loopSpinTouch;
  loopSpinHold(spinNs);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    loopSpinRelease();
  };
}

/** Traffic now (a request served): a held spin's 20 ms window starts again. */
export function touchLoopSpin(): void {
  touch();
}
