// The spin before this thread's event loop sleeps (native/loop-spin.cc), held while a reply is expected soon.
import { native } from './binding.js';

const noop = (): void => undefined;

interface SpinCalls {
  hold: (spinNs: number) => void;
  touch: () => void;
  release: () => void;
}

/** The addon's calls, looked up once; `null` without the addon or off Linux. */
let calls: SpinCalls | null | undefined;

function spinCalls(): SpinCalls | null {
  if (calls !== undefined) return calls;
  try {
    const { loopSpinHold, loopSpinTouch, loopSpinRelease } = native();
    calls = loopSpinHold === undefined || loopSpinTouch === undefined || loopSpinRelease === undefined ? null : { hold: loopSpinHold, touch: loopSpinTouch, release: loopSpinRelease };
  } catch {
    calls = null;
  }
  return calls;
}

/**
 * While the returned release is not called, each time this thread's event loop is about to sleep it first tries
 * for up to `spinNs` nanoseconds (yielding the CPU between tries) whether an event is ready: a reply that comes
 * within that time is taken without waking an idle CPU. Only within 20 ms of the hold or the last
 * `touchLoopSpin()`: past that the loop sleeps at once. Holders add up; the longest spin asked is used. Without
 * the addon (or off Linux) nothing spins and the release does nothing.
 */
export function holdLoopSpin(spinNs: number): () => void {
  const addon = spinNs > 0 ? spinCalls() : null;
  if (addon === null) return noop;
  addon.hold(spinNs);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    addon.release();
  };
}

/** Traffic now (a request served): a held spin's 20 ms window starts again. */
export function touchLoopSpin(): void {
  // Nothing to touch before the first hold (the addon keeps no spin yet).
  if (calls) calls.touch();
}
