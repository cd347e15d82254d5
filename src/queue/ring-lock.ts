// The ring's two locks: one word holding the holder's pid (plus a bit saying someone sleeps), so a holder
// killed at any instruction leaves either a free word or its own pid, never a half-taken lock, and a waiter
// that finds the holder dead takes the lock over in one compare-exchange (and then repairs what it left).
import { futexWake } from '../native/futex.js';
import { isAlive } from '../sync/owner.js';
import { left, ownerCheckMs, spinWhile, type WaitSteps } from '../sync/wait.js';

/** Set in the word while someone sleeps on it (pids stay below 2^22 on Linux). */
const sleepers = 0x40000000;

/** `recovered`: taken over from a dead holder, whose half-done operation the caller must repair first. */
export type Locked = 'locked' | 'recovered' | 'timeout' | 'stopped';

export function tryLockWord(i32: Int32Array, index: number): boolean {
  return Atomics.compareExchange(i32, index, 0, process.pid) === 0;
}

/** Waits for the lock word; `stopped` is asked after each wake (a shut-down queue stops its waiters). */
export function* lockWordWaiting(i32: Int32Array, index: number, deadline: number, stopped: () => boolean): WaitSteps<Locked> {
  const me = process.pid;
  let watched = 0;
  let since = performance.now();
  for (;;) {
    let value = Atomics.load(i32, index);
    if (value === 0) {
      // Waiters take it marked as contended: another may still sleep on it.
      if (Atomics.compareExchange(i32, index, 0, me | sleepers) === 0) return 'locked';
      continue;
    }
    if (stopped()) return 'stopped';
    if (spinWhile(i32, index, value)) continue;
    if ((value & sleepers) === 0) {
      if (Atomics.compareExchange(i32, index, value, value | sleepers) !== value) continue;
      value |= sleepers;
    }
    const holder = value & ~sleepers;
    const now = performance.now();
    if (holder !== watched) {
      watched = holder;
      since = now;
    } else if (now - since >= ownerCheckMs) {
      since = now;
      if (!isAlive(holder)) {
        if (Atomics.compareExchange(i32, index, value, me | sleepers) === value) return 'recovered';
        continue;
      }
    }
    const ms = left(deadline, ownerCheckMs);
    if (ms === 0) return 'timeout';
    yield { i32, index, value, ms };
  }
}

export function unlockWord(i32: Int32Array, index: number): void {
  if ((Atomics.exchange(i32, index, 0) & sleepers) !== 0) futexWake(i32, index, 1);
}

/** Wakes everyone sleeping on the lock, so they look at a stop condition. */
export function wakeLockWaiters(i32: Int32Array, index: number): void {
  futexWake(i32, index);
}
