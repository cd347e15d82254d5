// Shared helpers of the pool suites: a pool per test that is always torn down, and deadline guards.
import type { BackendName, LoadedTasks, PoolOptions } from '../../src/index.js';
import { Pool } from '../../src/index.js';
import { fixture } from '../helpers/spawn.js';
import type * as Tasks from '../fixtures/pool-tasks.js';

export type TaskModule = typeof Tasks;
export const tasksUrl = new URL(`file://${fixture('pool-tasks.js')}`);

/** Rejects if `promise` takes longer than `ms`: a hung pool fails its test instead of the whole run. */
export function within<T>(promise: Promise<T>, ms = 20_000, what = 'the pool'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms))),
  ]);
}

/** Runs `body` with a fresh pool, then terminates the pool whatever happened. */
export async function withPool(backend: BackendName, options: PoolOptions, body: (pool: Pool, tasks: LoadedTasks<TaskModule>) => Promise<void>): Promise<void> {
  const pool = new Pool({ workers: 2, ...options, backend });
  try {
    await within(body(pool, pool.load<TaskModule>(tasksUrl)), 60_000, 'the test body');
  } finally {
    await within(pool.terminate(), 10_000, 'terminate()');
  }
}

export async function rejection(promise: Promise<unknown>, ms = 20_000): Promise<Error & { code?: string }> {
  try {
    await within(promise, ms);
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
