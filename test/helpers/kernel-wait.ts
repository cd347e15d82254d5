// Whether a process's main thread sleeps in a futex wait now, read from /proc (Linux), so a test can wake it
// knowing it is asleep instead of guessing how long it takes to get there.
import { readdirSync, readFileSync } from 'node:fs';

export function inFutexWait(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/wchan`, 'utf8').includes('futex');
  } catch {
    return false;
  }
}

/** This process's threads (Linux thread ids), to tell later which ones a worker started. */
export function ownThreads(): Set<string> {
  return new Set(readdirSync('/proc/self/task'));
}

/** Whether a thread of this process that is not in `before` sleeps in a futex wait now. */
export function newThreadInFutexWait(before: ReadonlySet<string>): boolean {
  return readdirSync('/proc/self/task').some((tid) => {
    if (before.has(tid)) return false;
    try {
      return readFileSync(`/proc/self/task/${tid}/wchan`, 'utf8').includes('futex');
    } catch {
      return false;
    }
  });
}
