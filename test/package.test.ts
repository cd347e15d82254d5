// The package as users get it: `import ... from 'multiproc'` resolves to the bundle (dist/pkg), whose pool
// workers, resource tracker, handle modules and CLI are found by path at run time.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Lock, Pool, Queue, registry } from 'multiproc';
import { Point } from './fixtures/package-tasks.js';
import { finish, firstLine, fixture, runNode, startNode, waitUntil } from './helpers/spawn.js';

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> };
const root = fileURLToPath(new URL('../../', import.meta.url));
const tasksUrl = new URL('./fixtures/package-tasks.js', import.meta.url);
const handlesUrl = new URL('./fixtures/package-handles.js', import.meta.url);
const secondCopyUrl = new URL('./fixtures/package-second-copy.js', import.meta.url);

describe('the package entry (the bundle)', () => {
  it("resolves 'multiproc' to the bundle, not to the compiled files", () => {
    assert.equal(import.meta.resolve('multiproc'), new URL('dist/pkg/index.js', `file://${root}`).href);
    assert.ok(registry.lookupHandle('multiproc.Lock') !== undefined, 'the bundle registered its handle types');
  });

  for (const backend of ['thread', 'process'] as const) {
    it(`runs a ${backend} pool whose task module shares the bundle with the worker loop`, async () => {
      await using pool = new Pool({ workers: 2, backend });
      const tasks = pool.load<typeof import('./fixtures/package-tasks.js')>(tasksUrl);
      const placed = await tasks.place.map([1, 2, 3, 4], { chunksize: 1, timeout: 30_000 });
      assert.deepEqual(placed.map(({ point }) => [point instanceof Point, point.x, point.y]), [[true, 1, 2], [true, 2, 4], [true, 3, 6], [true, 4, 8]]);
      assert.ok(placed.every(({ worker }) => worker === 0 || worker === 1));
      if (backend === 'process') assert.ok(placed.every(({ pid }) => pid !== process.pid));
      assert.equal(await pool.apply(tasks.norm, [new Point(3, 4)], { timeout: 30_000 }), 5);
    });

    it(`lets a ${backend} task module see its time limit through the bundle's currentTask()`, async () => {
      // With a minute of grace, only a task that stopped by itself frees the single worker for the next call.
      const pool = new Pool({ workers: 1, backend, abortGraceMs: 60_000 });
      let timer: NodeJS.Timeout | undefined;
      try {
        const tasks = pool.load<typeof import('./fixtures/package-tasks.js')>(tasksUrl);
        const error = await pool.apply(tasks.spinUntilAborted, [], { timeout: 200 }).then(() => undefined, (thrown: unknown) => thrown as { code?: string });
        assert.equal(error?.code, 'ERR_MP_TASK_TIMEOUT');
        const next = await Promise.race([pool.apply(tasks.norm, [new Point(3, 4)]),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the worker was not freed')), 15_000)))]);
        assert.equal(next, 5);
        assert.equal(pool.stats().replaced, 0);
      } finally {
        clearTimeout(timer);
        await pool.terminate();
      }
    });

    it(`answers currentWorker() in a ${backend} task module that imports another copy of multiproc`, async () => {
      await using pool = new Pool({ workers: 2, backend });
      const tasks = pool.load<typeof import('./fixtures/package-second-copy.js')>(secondCopyUrl);
      const seen = await tasks.whichWorker.map([1, 2, 3, 4, 5, 6], { chunksize: 1, timeout: 30_000 });
      assert.ok(seen.every((index) => index === 0 || index === 1), `worker indexes: ${seen.join(', ')}`);
    });

    it(`answers currentTask() in a ${backend} task module that imports another copy of multiproc`, async () => {
      await using pool = new Pool({ workers: 1, backend });
      const tasks = pool.load<typeof import('./fixtures/package-second-copy.js')>(secondCopyUrl);
      const seen = await tasks.whichTask.map([1, 2, 3], { chunksize: 1, timeout: 30_000 });
      assert.ok(seen.every(({ id, aborted, sameAsBundle }) => id > 0 && !aborted && sameAsBundle), JSON.stringify(seen));
      assert.equal(new Set(seen.map(({ id }) => id)).size, 3, 'each call is a task of its own');
    });

    it(`fires the signal of a ${backend} task that waits on another copy's currentTask()`, async () => {
      // With a minute of grace, only a task that saw its signal and returned frees the single worker.
      const pool = new Pool({ workers: 1, backend, abortGraceMs: 60_000 });
      let timer: NodeJS.Timeout | undefined;
      try {
        const tasks = pool.load<typeof import('./fixtures/package-second-copy.js')>(secondCopyUrl);
        const error = await pool.apply(tasks.waitForAbort, [], { timeout: 200 }).then(() => undefined, (thrown: unknown) => thrown as { code?: string });
        assert.equal(error?.code, 'ERR_MP_TASK_TIMEOUT');
        const next = await Promise.race([pool.apply(tasks.whichWorker, [1]),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the worker was not freed')), 15_000)))]);
        assert.equal(next, 0);
        assert.equal(pool.stats().replaced, 0);
      } finally {
        clearTimeout(timer);
        await pool.terminate();
      }
    });

    it(`sends a Lock and a Queue to a ${backend} task module that imports no multiproc code`, async () => {
      await using pool = new Pool({ workers: 1, backend });
      const tasks = pool.load<typeof import('./fixtures/package-handles.js')>(handlesUrl);
      using queue = new Queue<string>();
      const lock = new Lock();
      assert.equal(await pool.apply(tasks.report, [queue, lock, `from a ${backend}`], { timeout: 30_000 }), 'Queue/Lock');
      assert.equal(await queue.get({ timeout: 10_000 }), `from a ${backend}`);
    });
  }

  it("starts the bundle's resource tracker, which unlinks a killed creator's segment", async () => {
    const creator = startNode(fixture('package-shm-child.js'));
    const done = finish(creator, 30_000);
    const name = await firstLine(creator);
    assert.ok(existsSync(`/dev/shm/${name}`));
    creator.kill('SIGKILL');
    await waitUntil(() => !existsSync(`/dev/shm/${name}`), 15_000, `the tracker to unlink ${name}`);
    const result = await done;
    assert.match(result.stderr, new RegExp(`resource tracker.*unlinked: /${name}`));
  });

  it("runs the CLI from the package's bin", async () => {
    const bin = new URL(packageJson.bin['multiproc']!, `file://${root}`);
    assert.equal(bin.href, new URL('dist/pkg/main.js', `file://${root}`).href);
    const result = await runNode(fileURLToPath(bin), ['shm', 'ls']);
    assert.equal(result.code, 0, result.stderr);
    const unknown = await runNode(fileURLToPath(bin), ['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stdout + unknown.stderr, /usage: multiproc <command>/);
  });
});
