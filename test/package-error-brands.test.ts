// `instanceof` across two copies of the package: errors raised by the bundle (what `import 'multiproc'` gives)
// against the classes of the compiled files (dist/src), and the other way, as with two installed versions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as bundle from 'multiproc';
import * as compiled from '../src/index.js';

const tasksUrl = new URL('./fixtures/package-tasks.js', import.meta.url);

type Copy = typeof compiled;
type ErrorClassName = { [Name in keyof Copy]: Copy[Name] extends abstract new (...args: never[]) => Error ? Name : never }[keyof Copy];

/** Every error class the package exports, from each copy. */
const errorClasses = (Object.keys(compiled) as (keyof Copy)[]).filter((name) => {
  const value = compiled[name] as unknown;
  return typeof value === 'function' && (value === compiled.MultiprocError || value.prototype instanceof compiled.MultiprocError);
}) as ErrorClassName[];

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => assert.fail('expected a rejection'), (error: unknown) => error);
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return assert.fail('expected a throw');
}

/** `error` is an instance of `name` (and of MultiprocError) in both copies, and of no other error class. */
function assertClass(error: unknown, name: ErrorClassName, ...ancestors: ErrorClassName[]): void {
  assert.ok(error instanceof Error);
  assert.notEqual(Object.getPrototypeOf(error), compiled[name].prototype, 'the error is from the bundle, not the compiled copy');
  const expected = new Set<ErrorClassName>([name, ...ancestors, 'MultiprocError']);
  for (const other of errorClasses) {
    const wanted = expected.has(other);
    assert.equal(error instanceof compiled[other], wanted, `${error.name} instanceof (compiled) ${other}`);
    assert.equal(error instanceof bundle[other], wanted, `${error.name} instanceof (bundle) ${other}`);
  }
}

describe('error classes across two copies of the package', () => {
  it('loads two distinct copies, each with every error class the catalogue names', () => {
    assert.notEqual(bundle.WorkerCrashedError, compiled.WorkerCrashedError);
    assert.notEqual(bundle.MultiprocError, compiled.MultiprocError);
    const named = new Set(Object.values(compiled.errorCodes).map((entry) => entry.class));
    for (const name of named) assert.ok(errorClasses.includes(name), `${name} is exported as an error class`);
  });

  it("matches a crashed worker's, a timed-out or missing task's and a closed pool's errors from the bundle's pool", async () => {
    await using pool = new bundle.Pool({ workers: 1, backend: 'thread' });
    const tasks = pool.load<typeof import('./fixtures/package-tasks.js')>(tasksUrl);
    const crash = await rejection(pool.apply(tasks.exitWorker, [3], { timeout: 30_000 }));
    assertClass(crash, 'WorkerCrashedError');
    assert.equal((crash as compiled.WorkerCrashedError).code, 'ERR_MP_WORKER_CRASHED');
    const timeout = await rejection(pool.apply(tasks.spinUntilAborted, [], { timeout: 100 }));
    assertClass(timeout, 'TaskTimeoutError');
    const missing = await rejection(pool.apply(bundle.taskRef(tasksUrl, 'noSuchTask'), [], { timeout: 30_000 }));
    assertClass(missing, 'TaskNotFoundError');
    pool.close();
    assertClass(await rejection(pool.apply(tasks.exitWorker, [3])), 'PoolStateError');
  });

  it('matches codec, shared-memory, sync and queue errors from the bundle', () => {
    assertClass(thrown(() => bundle.encode(() => 1)), 'EncodeError');
    assertClass(thrown(() => bundle.decodeSync({ data: new Uint8Array([1, 2, 3]), buffers: [] })), 'DecodeError');
    assertClass(thrown(() => bundle.SharedMemory.attach(`mp-no-such-${process.pid}`)), 'SharedMemoryNotFoundError', 'SharedMemoryError');
    const lock = new bundle.Lock();
    try {
      assertClass(thrown(() => lock.release()), 'SyncStateError');
    } finally {
      lock.close();
    }
    using queue = new bundle.Queue<number>();
    assertClass(thrown(() => queue.getNowait()), 'QueueEmptyError');
  });

  it('matches the other way: an error from the compiled copy is an instance of the bundle\'s class', () => {
    const error = thrown(() => compiled.SharedMemory.attach(`mp-no-such-${process.pid}`));
    assert.ok(error instanceof bundle.SharedMemoryNotFoundError);
    assert.ok(error instanceof bundle.SharedMemoryError);
    assert.ok(error instanceof bundle.MultiprocError);
    assert.ok(!(error instanceof bundle.SharedMemoryExistsError));
    assert.ok(!(error instanceof bundle.QueueEmptyError));
  });

  it('matches no error class for a plain Error, a look-alike, or a non-object', () => {
    class WorkerCrashedError extends Error {
      readonly code = 'ERR_MP_WORKER_CRASHED';
    }
    const values: unknown[] = [new Error('plain'), new WorkerCrashedError('a look-alike'), Object.assign(new Error('coded'), { code: 'ERR_MP_TASK_TIMEOUT' }),
      Object.create(null) as unknown, null, undefined, 'ERR_MP_ENCODE', 42];
    for (const [i, value] of values.entries()) {
      for (const name of errorClasses) {
        assert.equal(value instanceof compiled[name], false, `value ${i} instanceof (compiled) ${name}`);
        assert.equal(value instanceof bundle[name], false, `value ${i} instanceof (bundle) ${name}`);
      }
    }
  });

  it('takes an error from a copy with only the common brand as a MultiprocError, and as no subclass', () => {
    // What copies from before per-class brands made: the base class branded, its subclasses not.
    class OlderBase extends Error {
      get [Symbol.for('multiproc.error')](): true {
        return true;
      }
    }
    class WorkerCrashedError extends OlderBase {}
    const older = new WorkerCrashedError('from an older copy');
    assert.ok(older instanceof compiled.MultiprocError);
    assert.ok(older instanceof bundle.MultiprocError);
    for (const name of errorClasses.filter((other) => other !== 'MultiprocError')) {
      assert.equal(older instanceof compiled[name], false, `instanceof (compiled) ${name}`);
      assert.equal(older instanceof bundle[name], false, `instanceof (bundle) ${name}`);
    }
  });

  it("keeps a user's subclass apart from its parent's siblings, and its parent matches it from the other copy", () => {
    class AppTimeout extends bundle.TaskTimeoutError {}
    const error = new AppTimeout('late');
    assert.ok(error instanceof compiled.TaskTimeoutError);
    assert.ok(error instanceof compiled.MultiprocError);
    assert.ok(!(error instanceof compiled.WorkerCrashedError));
    assert.ok(!(new bundle.TaskTimeoutError('late') instanceof AppTimeout), 'a parent instance is not an instance of the subclass');
  });
});
