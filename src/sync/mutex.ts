// The mutex protocol shared by Lock, RLock and the internal locks of Barrier and Queue: a three-state word
// (free, locked, locked with sleepers) as in Drepper's "Futexes Are Tricky", plus the holder's pid and
// thread token so a holder that died is reported instead of waited for forever.
import { futexWake } from '../native/futex.js';
import { LockOwnerDiedError } from './errors.js';
import { isAlive, threadToken } from './owner.js';
import { left, ownerCheckMs, spinWhile, type WaitSteps } from './wait.js';

const enum Word { State, Pid, Thread }
/** The state word's values. */
const State = { Free: 0, Locked: 1, Contended: 2 } as const;
/** Int32 words a mutex occupies. */
export const mutexWords = 4;

export function tryLock(i32: Int32Array, at: number): boolean {
  if (Atomics.compareExchange(i32, at + Word.State, State.Free, State.Locked) !== State.Free) return false;
  markOwner(i32, at);
  return true;
}

function markOwner(i32: Int32Array, at: number): void {
  Atomics.store(i32, at + Word.Pid, process.pid);
  Atomics.store(i32, at + Word.Thread, threadToken());
}

/** Throws when the recorded holder is a process that no longer exists. */
function checkHolder(i32: Int32Array, at: number, what: string): void {
  const pid = Atomics.load(i32, at + Word.Pid);
  if (pid !== 0 && !isAlive(pid)) throw new LockOwnerDiedError(what, pid);
}

/** Slow path of acquiring; yields sleeps, returns false at the deadline. */
export function* lockWaiting(i32: Int32Array, at: number, deadline: number, what: string): WaitSteps<boolean> {
  const state = at + Word.State;
  for (;;) {
    if (spinWhile(i32, state, State.Contended) && tryLock(i32, at)) return true;
    if (Atomics.exchange(i32, state, State.Contended) === State.Free) {
      markOwner(i32, at);
      return true;
    }
    checkHolder(i32, at, what);
    const ms = left(deadline, ownerCheckMs);
    if (ms === 0) return false;
    yield { i32, index: state, value: State.Contended, ms };
  }
}

export function unlock(i32: Int32Array, at: number): void {
  Atomics.store(i32, at + Word.Pid, 0);
  Atomics.store(i32, at + Word.Thread, 0);
  if (Atomics.exchange(i32, at + Word.State, State.Free) === State.Contended) futexWake(i32, at + Word.State, 1);
}

export function isLocked(i32: Int32Array, at: number): boolean {
  return Atomics.load(i32, at + Word.State) !== State.Free;
}

/** Held by this very thread (as far as the recorded holder says). */
export function isMine(i32: Int32Array, at: number): boolean {
  return isLocked(i32, at) && Atomics.load(i32, at + Word.Pid) === process.pid && Atomics.load(i32, at + Word.Thread) === threadToken();
}

export function holderPid(i32: Int32Array, at: number): number {
  return Atomics.load(i32, at + Word.Pid);
}

/** Frees a mutex whose holder process died; false when it is free or its holder lives. */
export function recoverMutex(i32: Int32Array, at: number): boolean {
  const pid = holderPid(i32, at);
  if (!isLocked(i32, at) || pid === 0 || isAlive(pid)) return false;
  if (Atomics.compareExchange(i32, at + Word.Pid, pid, 0) !== pid) return false;
  Atomics.store(i32, at + Word.Thread, 0);
  Atomics.store(i32, at + Word.State, State.Free);
  futexWake(i32, at + Word.State);
  return true;
}
