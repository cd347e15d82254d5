// Starting a pool worker of either backend, and asking Node about the flags its workers start with.
import { checkProcessFlags, ProcessWorker } from './process.js';
import type { BackendName, BackendWorkerOptions, BackendWorker } from './backend-worker.js';
import { ThreadWorker } from './thread.js';

export function startWorker(backend: BackendName, options: BackendWorkerOptions): BackendWorker {
  return backend === 'thread' ? new ThreadWorker(options) : new ProcessWorker(options);
}

/**
 * What Node says of the flags workers of `backend` start with, when it refuses them (processes only: a worker
 * thread's flags are refused at once, by its constructor).
 */
export function checkStartFlags(backend: BackendName, options: Pick<BackendWorkerOptions, 'execArgv' | 'env' | 'resourceLimits'>): Promise<string | undefined> {
  return backend === 'process' ? checkProcessFlags(options) : Promise.resolve(undefined);
}
