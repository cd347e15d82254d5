// Tying a process's life to its parent's: it is killed (SIGKILL) when the parent dies, even in the middle of
// synchronous code that never lets its event loop run.
import { expected } from '../errors.js';
import { native } from './binding.js';

/** `signal`: the kernel kills this process (Linux). `poll`: a thread of the addon checks the parent. */
export type ParentDeathMechanism = 'signal' | 'poll';

export interface DieWithParentOptions {
  /** `auto`: the kernel's signal where there is one, else polling. `poll`: always poll. @default 'auto' */
  mechanism?: 'auto' | 'poll';
  /** How often the polling thread checks the parent, in milliseconds. @default 250 */
  pollMs?: number;
}

function checkPositiveInteger(name: string, value: number): void {
  if (typeof value !== 'number') throw new TypeError(expected(name, 'a positive integer', value));
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(expected(name, 'a positive integer', value));
}

/**
 * Kills this process when `parentPid` stops being its parent, and at once if it already has (the parent died
 * while this process started): pass the pid the parent gave, not `process.ppid` read now, which after such a
 * death already names init. On Linux the signal fires when the parent's *thread* that forked this process
 * exits. Returns how it is watched.
 */
export function dieWithParent(parentPid: number, options: DieWithParentOptions = {}): ParentDeathMechanism {
  checkPositiveInteger('parentPid', parentPid);
  const { mechanism = 'auto', pollMs = 250 } = options;
  if (mechanism !== 'auto' && mechanism !== 'poll') throw new TypeError(expected('mechanism', "'auto' or 'poll'", mechanism));
  checkPositiveInteger('pollMs', pollMs);
  const binding = native();
  if (mechanism === 'auto' && binding.setParentDeathSignal(parentPid)) return 'signal';
  binding.watchParent(parentPid, pollMs);
  return 'poll';
}
