// Errors the pool raises: crashed workers, timeouts, a closed or terminated pool, a failing initializer.
import type { ErrorCodeOf } from '../error-codes.js';
import { MultiprocError } from '../errors.js';

/** The worker running the task exited, was killed or ran out of memory; it has been replaced. */
export class WorkerCrashedError extends MultiprocError {
  readonly exitCode: number | null;
  readonly signal: string | null;

  constructor(message: string, details: { exitCode: number | null; signal: string | null; cause?: unknown }) {
    super('ERR_MP_WORKER_CRASHED', message, 'cause' in details ? { cause: details.cause } : {});
    this.exitCode = details.exitCode;
    this.signal = details.signal;
  }
}

/** The task ran longer than its `timeout`; its worker was stopped and replaced. */
export class TaskTimeoutError extends MultiprocError {
  constructor(message: string) {
    super('ERR_MP_TASK_TIMEOUT', message);
  }
}

/** `terminate()` stopped the pool before the task finished. */
export class PoolTerminatedError extends MultiprocError {
  constructor(message = 'The pool was terminated before the task finished') {
    super('ERR_MP_POOL_TERMINATED', message);
  }
}

/** A call after `close()` or `terminate()`, or `join()` on a running pool. */
export class PoolStateError extends MultiprocError {
  constructor(code: ErrorCodeOf<'PoolStateError'>, message: string) {
    super(code, message);
  }
}

/** The pool's initializer threw in a worker: the pool cannot run tasks. */
export class InitializerError extends MultiprocError {
  constructor(message: string, cause: unknown) {
    super('ERR_MP_INITIALIZER_FAILED', message, { cause });
  }
}

/**
 * A pool was created while a pool worker was importing a task module: the module that starts the pool is
 * (or imports) a task module, so every worker would start a pool of its own, and so on without end. As
 * Python's "An attempt has been made to start a new process before the current process has finished its
 * bootstrapping phase".
 */
export class PoolBootstrapError extends MultiprocError {
  constructor(what = 'A Pool was created') {
    super('ERR_MP_POOL_IN_BOOTSTRAP', `${what} while a task module was being imported (by a pool worker, or by a Process child ` +
      'importing its target): the code that does it runs in every worker or child that imports this module, and each would ' +
      'start more of its own, without end. Do it only in the main program: put that code under ' +
      '`if (!currentWorker()) { ... }` (as Python\'s `if __name__ == "__main__":`; `if (!currentWorker() && !parentProcess())` ' +
      'where Process children import the module too), or keep the task functions in a module of their own.');
  }
}

/** A task threw something that is not an Error (a string, a number...): it is kept as `value`. */
export class RemoteError extends MultiprocError {
  readonly value: unknown;

  constructor(value: unknown) {
    super('ERR_MP_REMOTE', `A task threw a non-Error value: ${String(value)}`);
    this.value = value;
  }
}

/** `pool.insights()` on a pool created without `insights: true` (its figures start with its workers, so they cannot start later). */
export class InsightsDisabledError extends MultiprocError {
  constructor() {
    super('ERR_MP_INSIGHTS_DISABLED', 'This pool records no insights: create it with `new Pool({ insights: true })` to have `insights()` and `printInsights()`');
  }
}

/** The worker-side stack of a task error, attached as its `cause`. */
export class RemoteStack extends Error {
  constructor(stack: string) {
    super('the worker-side stack of the error above');
    this.name = 'RemoteStack';
    this.stack = stack;
  }
}

/** `AsyncResult.get(timeout)` ran out of time (the task itself goes on). */
export class ResultTimeoutError extends MultiprocError {
  constructor(message: string) {
    super('ERR_MP_TIMEOUT', message);
  }
}

/** Turns what a task threw, decoded in this thread, into the error its caller receives. */
export function toTaskError(thrown: unknown): Error {
  if (!(thrown instanceof Error)) return new RemoteError(thrown);
  if (thrown.cause === undefined && typeof thrown.stack === 'string') {
    const remote = thrown.stack;
    Object.defineProperty(thrown, 'cause', { value: new RemoteStack(remote), configurable: true, writable: true });
    thrown.stack = `${thrown.name}: ${thrown.message}\n    at <worker> (see cause for the worker's stack)\n${new Error().stack?.split('\n').slice(2).join('\n') ?? ''}`;
  }
  return thrown;
}
