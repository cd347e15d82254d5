// Plain snapshots of the pool for `pool.stats()`.
import { now } from '../clock.js';
import type { BackendName } from '../backends/backend-worker.js';
import type { CrashReport } from './faults.js';
import type { WorkerSlot } from './worker-slot.js';

export interface WorkerStats {
  index: number;
  pid: number;
  threadId: number;
  state: string;
  /** Tasks (chunks count once) this worker finished. */
  tasksDone: number;
  busyMs: number;
  idleMs: number;
  /** Start-up time: spawn to ready, including the initializer. */
  initMs: number;
  /** The task running now, if any. */
  current: { name: string; url: string; runningMs: number } | undefined;
}

export interface PoolStats {
  backend: BackendName;
  state: string;
  workers: WorkerStats[];
  /** Tasks waiting for a worker. */
  queued: number;
  /** Tasks handed to workers and not finished. */
  inflight: number;
  /** Workers replaced after a crash, a timeout or an abort. */
  replaced: number;
  /** Workers that died on their own (not stopped by the pool); each is also a `'workerError'` event. */
  crashes: number;
  /** The latest of those. */
  lastCrash: CrashReport | undefined;
}

/** Per-worker figures and the number of tasks handed out. */
export function slotStats(slots: readonly WorkerSlot[]): { workers: WorkerStats[]; inflight: number } {
  const at = now();
  let inflight = 0;
  const workers = slots.map((slot): WorkerStats => {
    inflight += slot.held;
    const running = slot.state === 'gone' ? { id: 0, since: 0 } : slot.running();
    const task = slot.heldTask(running.id);
    const initMs = (slot.readyAt ?? at) - slot.spawnedAt;
    const busyMs = slot.busyMicros / 1000;
    return {
      index: slot.index, pid: slot.pid, threadId: slot.threadId, state: slot.state, tasksDone: slot.tasksDone, busyMs,
      idleMs: Math.max(0, at - slot.spawnedAt - initMs - busyMs), initMs,
      current: task === undefined ? undefined : { name: task.fnName.name, url: task.fnName.url, runningMs: Math.max(0, Date.now() - running.since) },
    };
  });
  return { workers, inflight };
}
