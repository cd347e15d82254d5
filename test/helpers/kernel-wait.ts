// Whether a process's main thread sleeps in a futex wait now, read from /proc (Linux), so a test can wake it
// knowing it is asleep instead of guessing how long it takes to get there.
import { readFileSync } from 'node:fs';

export function inFutexWait(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/wchan`, 'utf8').includes('futex');
  } catch {
    return false;
  }
}
