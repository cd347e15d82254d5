// Starting a worker runtime of either backend, and asking Node about the flags its workers start with.
import { checkProcessFlags, ProcessRuntime } from './process.js';
import type { BackendName, RuntimeOptions, WorkerRuntime } from './runtime.js';
import { ThreadRuntime } from './thread.js';

export function startRuntime(backend: BackendName, options: RuntimeOptions): WorkerRuntime {
  return backend === 'thread' ? new ThreadRuntime(options) : new ProcessRuntime(options);
}

/**
 * What Node says of the flags workers of `backend` start with, when it refuses them (processes only: a worker
 * thread's flags are refused at once, by its constructor).
 */
export function checkStartFlags(backend: BackendName, options: Pick<RuntimeOptions, 'execArgv' | 'env' | 'resourceLimits'>): Promise<string | undefined> {
  return backend === 'process' ? checkProcessFlags(options) : Promise.resolve(undefined);
}
