// Watching a running task's time limit.
import type { Task } from './task.js';
import type { WorkerSlot } from './worker-slot.js';

/**
 * Calls `expire` once `task` has run on `slot` for its `timeout` (time spent waiting in the worker's ring
 * does not count: the worker records when it started the task).
 */
export function watchTimeout(task: Task, slot: WorkerSlot, expire: () => void): void {
  const check = (): void => {
    // A task dropped while it runs (its map rejected) is settled but still holds its worker: still watched.
    if (task.slot !== slot || slot.state === 'gone' || !slot.holds(task)) return;
    const running = slot.running();
    let wait = Math.min(task.timeout, 50);
    if (running.id === task.id) {
      const left = task.timeout - (Date.now() - running.since);
      if (left <= 0) {
        expire();
        return;
      }
      wait = left + 1;
    }
    setTimeout(check, wait).unref();
  };
  setTimeout(check, task.timeout).unref();
}
