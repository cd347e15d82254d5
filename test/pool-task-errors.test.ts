// Task modules that cannot be used: missing, failing to load (a throw at import, a syntax error, a missing
// import), or without the export asked for; and codec errors raised in a worker. Each call gets a coded
// error naming the module, with the original error as its cause, and the pool goes on running other tasks.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  DecodeError, EncodeError, MultiprocError, Pool, registerClass, taskRef, TaskModuleFailedError, TaskModuleNotFoundError, TaskNotFoundError,
  type BackendName,
} from '../src/index.js';
import { fixture } from './helpers/spawn.js';
import { rejection, within } from './pool/harness.js';
import type * as Tasks from './fixtures/pool-task-errors.js';

const tasksUrl = pathToFileURL(fixture('pool-task-errors.js'));
const throwsOnImportUrl = pathToFileURL(fixture('pool-throws-on-import.js')).href;
/** The library's own compiled and bundled files: no message may send the user there. */
const libraryFolders = ['src', 'pkg'].map((folder) => path.resolve(fixture('.'), '..', '..', folder) + path.sep);

function assertNotIntoLibrary(message: string): void {
  for (const folder of libraryFolders) assert.ok(!message.includes(folder), `the message points into ${folder}: ${message}`);
}

/** A temporary folder for modules written at test time (a syntax error cannot be a compiled fixture). */
async function withTempDir<T>(body: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mp-task-errors-'));
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withPool(backend: BackendName, body: (pool: Pool) => Promise<void>): Promise<void> {
  const pool = new Pool({ workers: 2, backend });
  try {
    await within(body(pool), 60_000, 'the test body');
  } finally {
    await within(pool.terminate(), 10_000, 'terminate()');
  }
}

/** The pool still runs tasks, and no worker was lost over the failures. */
async function assertPoolGoesOn(pool: Pool): Promise<void> {
  const tasks = pool.load<typeof Tasks>(tasksUrl);
  assert.deepEqual(await within(tasks.square.map([1, 2, 3, 4])), [1, 4, 9, 16]);
  assert.equal(await within(tasks.add(2, 3)), 5);
  assert.equal(pool.stats().replaced, 0, 'no worker crashed');
}

/** Calls made together: the first and every call queued behind it must each be rejected. */
async function rejectAll(calls: Promise<unknown>[]): Promise<(Error & { code?: string })[]> {
  return Promise.all(calls.map((call) => rejection(call)));
}

class LocalOnly {
  constructor(readonly value = 1) {}
}
// Said to live in a module the workers cannot import: decoding it there fails.
registerClass(LocalOnly, 'file:///nonexistent/multiproc-test/local-only.js');

for (const backend of ['thread', 'process'] as const) {
  describe(`task errors (${backend})`, { timeout: 120_000 }, () => {
    it('pool.load() of a file: URL with no file throws ERR_MP_TASK_MODULE_NOT_FOUND at once', () => withPool(backend, async (pool) => {
      await withTempDir((dir) => {
        const url = pathToFileURL(path.join(dir, 'no-such-tasks.js'));
        const error = (() => {
          try {
            pool.load(url);
          } catch (thrown) {
            return thrown as Error;
          }
          return assert.fail('pool.load() accepted a missing module');
        })();
        assert.ok(error instanceof TaskModuleNotFoundError, `a ${error.constructor.name}`);
        assert.ok(error instanceof MultiprocError);
        assert.equal(error.code, 'ERR_MP_TASK_MODULE_NOT_FOUND');
        assert.equal(error.moduleUrl, url.href);
        assert.ok(error.message.includes(url.href), error.message);
        assert.equal((error.cause as { code?: string }).code, 'ENOENT');
        assertNotIntoLibrary(error.message);
        // A missing folder as well as a missing file.
        assert.throws(() => pool.load(pathToFileURL(path.join(dir, 'absent', 'tasks.js'))), { code: 'ERR_MP_TASK_MODULE_NOT_FOUND' });
        // A .js URL whose TypeScript file exists is left to the loader (tsx serves tasks.ts for tasks.js).
        writeFileSync(path.join(dir, 'typed.ts'), 'export const x = 1;\n');
        assert.doesNotThrow(() => pool.load(pathToFileURL(path.join(dir, 'typed.js'))));
        // An existing module is not imported here, and loads without error.
        assert.doesNotThrow(() => pool.load(tasksUrl));
      });
      await assertPoolGoesOn(pool);
    }));

    it('taskRef() to a missing module: its first call and every queued one fail with ERR_MP_TASK_MODULE_NOT_FOUND', () => withPool(backend, async (pool) => {
      await withTempDir(async (dir) => {
        const url = pathToFileURL(path.join(dir, 'gone.js')).href;
        const ref = taskRef(url, 'square');
        const errors = await rejectAll([...Array.from({ length: 6 }, (_, i) => pool.apply(ref, [i])), pool.map(ref, [1, 2, 3], { chunksize: 1 })]);
        for (const error of errors) {
          assert.ok(error instanceof TaskModuleNotFoundError, `a ${error.constructor.name}: ${error.message}`);
          assert.equal(error.code, 'ERR_MP_TASK_MODULE_NOT_FOUND');
          assert.equal(error.moduleUrl, url);
          assert.ok(error.message.includes(url), error.message);
          assertNotIntoLibrary(error.message);
          assert.equal((error.cause as { code?: string }).code, 'ERR_MODULE_NOT_FOUND');
        }
        // Not remembered as missing: once the file exists, the same reference runs.
        writeFileSync(path.join(dir, 'gone.js'), 'export function square(x) { return x * x; }\n');
        assert.equal(await within(pool.apply(ref, [9])), 81);
      });
      await assertPoolGoesOn(pool);
    }));

    it('a misspelled export fails with ERR_MP_TASK_NOT_FOUND, listing the functions and the closest one', () => withPool(backend, async (pool) => {
      const tasks = pool.load<typeof Tasks>(tasksUrl) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      const errors = await rejectAll([tasks['sqare']!(3), tasks['sqare']!(4), tasks['sqare']!(5)]);
      for (const error of errors) {
        assert.ok(error instanceof TaskNotFoundError, `a ${error.constructor.name}: ${error.message}`);
        assert.equal(error.code, 'ERR_MP_TASK_NOT_FOUND');
        assert.equal(error.moduleUrl, tasksUrl.href);
        assert.equal(error.taskName, 'sqare');
        // Functions only, in the namespace's order: not the class `Point` nor the constant `answer`.
        assert.deepEqual(error.exportedFunctions, ['add', 'echo', 'returnClosure', 'returnSymbol', 'slowSquare', 'square', 'throwUnsendable']);
        assert.equal(error.suggestion, 'square');
        assert.ok(error.message.includes(tasksUrl.href), error.message);
        assert.match(error.message, /`sqare`.*did you mean `square`\?.*add, echo, returnClosure, returnSymbol, slowSquare, square, throwUnsendable\./);
      }
      const caseOnly = await rejection(tasks['Add']!(1, 2));
      assert.ok(caseOnly instanceof TaskNotFoundError);
      assert.equal(caseOnly.suggestion, 'add');
      const far = await rejection(tasks['frobnicate']!());
      assert.ok(far instanceof TaskNotFoundError);
      assert.equal(far.suggestion, undefined, 'no suggestion when nothing is close');
      assert.doesNotMatch(far.message, /did you mean/);
      const constant = await rejection(tasks['answer']!());
      assert.ok(constant instanceof TaskNotFoundError);
      assert.match(constant.message, /no exported function `answer` \(found number\)/);
      await assertPoolGoesOn(pool);
    }));

    it('a module that throws on import fails every call with ERR_MP_TASK_MODULE_FAILED, the original error its cause', () => withPool(backend, async (pool) => {
      const ref = taskRef(throwsOnImportUrl, 'never');
      const errors = await rejectAll(Array.from({ length: 5 }, () => pool.apply(ref, [])));
      for (const error of errors) {
        assert.ok(error instanceof TaskModuleFailedError, `a ${error.constructor.name}: ${error.message}`);
        assert.equal(error.code, 'ERR_MP_TASK_MODULE_FAILED');
        assert.equal(error.moduleUrl, throwsOnImportUrl);
        assert.ok(error.message.includes(throwsOnImportUrl), error.message);
        assert.match(error.message, /this module cannot be imported/);
        assertNotIntoLibrary(error.message);
        const cause = error.cause as Error;
        assert.ok(cause instanceof Error);
        assert.equal(cause.message, 'this module cannot be imported');
        assert.match(cause.stack ?? '', /pool-throws-on-import\.js/, 'the cause keeps the stack into the module');
      }
      await assertPoolGoesOn(pool);
    }));

    it('a module with a syntax error, or importing a missing one, fails with ERR_MP_TASK_MODULE_FAILED', () => withPool(backend, async (pool) => {
      await withTempDir(async (dir) => {
        const broken = pathToFileURL(path.join(dir, 'broken.mjs')).href;
        writeFileSync(path.join(dir, 'broken.mjs'), 'export function square(x) {\n  return x _ x;\n}\n');
        const errors = await rejectAll(Array.from({ length: 4 }, (_, i) => pool.apply(taskRef(broken, 'square'), [i])));
        for (const error of errors) {
          assert.ok(error instanceof TaskModuleFailedError, `a ${error.constructor.name}: ${error.message}`);
          assert.equal(error.code, 'ERR_MP_TASK_MODULE_FAILED');
          assert.equal(error.moduleUrl, broken);
          assert.ok(error.message.includes(broken), error.message);
          assert.match(error.message, /SyntaxError/);
          assertNotIntoLibrary(error.message);
          assert.ok(error.cause instanceof SyntaxError, `cause: ${String(error.cause)}`);
        }
        // A module that exists is not "not found" because something it imports is missing.
        const needy = pathToFileURL(path.join(dir, 'needy.mjs')).href;
        writeFileSync(path.join(dir, 'needy.mjs'), "import './absent.mjs';\nexport function square(x) { return x * x; }\n");
        const missingImport = await rejection(pool.apply(taskRef(needy, 'square'), [2]));
        assert.ok(missingImport instanceof TaskModuleFailedError, `a ${missingImport.constructor.name}: ${missingImport.message}`);
        assert.equal(missingImport.moduleUrl, needy);
        assert.match(missingImport.message, /absent\.mjs/, 'names the module that is missing');
        assert.equal((missingImport.cause as { code?: string }).code, 'ERR_MODULE_NOT_FOUND');
        // TypeScript with no loader: the hint says how to give the workers one.
        const typed = pathToFileURL(path.join(dir, 'typed.ts')).href;
        writeFileSync(path.join(dir, 'typed.ts'), 'export function square(x: number): number { return x * x; }\n');
        const noLoader = await rejection(pool.apply(taskRef(typed, 'square'), [2]));
        assert.ok(noLoader instanceof TaskModuleFailedError, `a ${noLoader.constructor.name}: ${noLoader.message}`);
        assert.equal((noLoader.cause as { code?: string }).code, 'ERR_UNKNOWN_FILE_EXTENSION');
        assert.match(noLoader.message, /--import tsx/);
      });
      await assertPoolGoesOn(pool);
    }));

    it('an initializer whose module is missing or whose name is misspelled fails the calls, with that error as the cause', async () => {
      await withTempDir(async (dir) => {
        const cases = [
          { initializer: taskRef(pathToFileURL(path.join(dir, 'no-init.js')), 'init'), cause: TaskModuleNotFoundError },
          { initializer: taskRef(tasksUrl, 'sqare'), cause: TaskNotFoundError },
        ];
        for (const { initializer, cause } of cases) {
          const pool = new Pool({ workers: 1, backend, initializer });
          try {
            const error = await rejection(pool.apply(taskRef(tasksUrl, 'square'), [2]));
            assert.equal(error.code, 'ERR_MP_INITIALIZER_FAILED');
            assert.ok(error.cause instanceof cause, `cause: ${String(error.cause)}`);
          } finally {
            await within(pool.terminate(), 10_000, 'terminate()');
          }
        }
      });
    });

    it('an EncodeError or DecodeError raised in a worker reaches the caller as its class, with its code', () => withPool(backend, async (pool) => {
      const tasks = pool.load<typeof Tasks>(tasksUrl);
      for (const error of [await rejection(tasks.returnSymbol()), await rejection(tasks.returnClosure(1))]) {
        assert.ok(error instanceof EncodeError, `a ${error.constructor.name}: ${error.message}`);
        assert.ok(error instanceof MultiprocError);
        assert.equal(error.code, 'ERR_MP_ENCODE');
        assert.equal(error.name, 'EncodeError');
      }
      const decoding = await rejection(tasks.echo(new LocalOnly(3)));
      assert.ok(decoding instanceof DecodeError, `a ${decoding.constructor.name}: ${decoding.message}`);
      assert.equal(decoding.code, 'ERR_MP_DECODE_UNTRUSTED_MODULE');
      assert.match(decoding.message, /local-only\.js/);
      const unsendable = await rejection(tasks.throwUnsendable());
      assert.equal(unsendable.message, 'with a callback attached');
      assert.equal(unsendable.code, 'E_FIXTURE', 'an error sent without its unsendable fields keeps its code');
      // A value both sides know still round-trips.
      assert.deepEqual(await tasks.echo({ a: [1, 2] }), { a: [1, 2] });
      await assertPoolGoesOn(pool);
    }));

    it('a batch of short calls with one argument the worker cannot decode: only that call fails, no worker dies', () => withPool(backend, async (pool) => {
      const tasks = pool.load<typeof Tasks>(tasksUrl);
      // Measured short first, so that the calls made together next travel in batch frames.
      for (let i = 0; i < 20; i++) await tasks.echo(i);
      const calls = Array.from({ length: 300 }, (_, i) => (i === 150 ? tasks.echo(new LocalOnly(i)) : tasks.echo(i)));
      const settled = await within(Promise.allSettled(calls));
      const failed = settled.flatMap((outcome, i) => (outcome.status === 'rejected' ? [i] : []));
      assert.deepEqual(failed, [150], 'only the call with the undecodable argument fails');
      const reason = (settled[150] as PromiseRejectedResult).reason as Error & { code?: string };
      assert.ok(reason instanceof DecodeError, String(reason));
      assert.equal(reason.code, 'ERR_MP_DECODE_UNTRUSTED_MODULE');
      settled.forEach((outcome, i) => i === 150 || assert.deepEqual(outcome, { status: 'fulfilled', value: i }));
      assert.equal(pool.stats().crashes, 0);
      await assertPoolGoesOn(pool);
    }));
  });
}

describe('task errors through the package entry (the bundle)', { timeout: 120_000 }, () => {
  for (const backend of ['thread', 'process'] as const) {
    it(`names the task module, not the bundle's loader, and keeps the classes (${backend})`, async () => {
      const bundled = await import('multiproc');
      const pool = new bundled.Pool({ workers: 1, backend });
      try {
        await withTempDir(async (dir) => {
          const url = pathToFileURL(path.join(dir, 'gone.js')).href;
          const missing = await rejection(pool.apply(bundled.taskRef(url, 'square'), [1]));
          assert.ok(missing instanceof bundled.TaskModuleNotFoundError, `a ${missing.constructor.name}: ${missing.message}`);
          assert.equal(missing.code, 'ERR_MP_TASK_MODULE_NOT_FOUND');
          assert.ok(missing.message.includes(url), missing.message);
          assertNotIntoLibrary(missing.message);
        });
        const tasks = pool.load<typeof Tasks>(tasksUrl);
        const misspelled = await rejection((tasks as unknown as Record<string, () => Promise<unknown>>)['sqare']!());
        assert.ok(misspelled instanceof bundled.TaskNotFoundError, `a ${misspelled.constructor.name}`);
        assert.equal(misspelled.suggestion, 'square');
        const encoding = await rejection(tasks.returnSymbol());
        assert.ok(encoding instanceof bundled.EncodeError, `a ${encoding.constructor.name}`);
        assert.equal(await within(tasks.square(4)), 16);
      } finally {
        await within(pool.terminate(), 10_000, 'terminate()');
      }
    });
  }
});
