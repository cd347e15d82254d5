// The object store with pools and processes: an object put once, passed by reference, read in place by
// every worker and materialised once per worker, on both backends.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { encode } from '../src/serialize/index.js';
import { ObjectRef, Pipe, Pool, Process, Queue, taskRef, type BackendName } from '../src/index.js';
import { fixture } from './helpers/spawn.js';
import { Point } from './fixtures/store-point.js';
import { LatePoint } from './fixtures/store-late-point.js';
import { within } from './pool/harness.js';
import type * as StoreTasks from './fixtures/store-tasks.js';

const tasksUrl = new URL(`file://${fixture('store-tasks.js')}`);
const shmPath = (name: string): string => `/dev/shm/${name}`;

/** Waits (20 ms between looks, 10 s at most) until `check` holds: a released mapping goes just after its last close. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after 10 s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Lines of this process's /proc/self/maps that map each named segment (also once unlinked). */
function mappingsHere(names: readonly string[]): number[] {
  const maps = readFileSync('/proc/self/maps', 'utf8').split('\n');
  return names.map((name) => {
    const line = new RegExp(`/dev/shm/${name}( \\(deleted\\))?$`);
    return maps.filter((entry) => line.test(entry)).length;
  });
}

/** 50 MB of doubles whose slice sums are exact: element i is i % 7. */
function bigArray(): Float64Array {
  const data = new Float64Array((50 * 1024 * 1024) / 8);
  for (let i = 0; i < data.length; i++) data[i] = i % 7;
  return data;
}

function expectedSum(from: number, to: number): number {
  let total = 0;
  for (let i = from; i < to; i++) total += i % 7;
  return total;
}

/** Each worker's largest count of distinct objects received. */
function distinctPerWorker(results: readonly { worker: string; distinct: number }[]): Map<string, number> {
  const per = new Map<string, number>();
  for (const { worker, distinct } of results) per.set(worker, Math.max(per.get(worker) ?? 0, distinct));
  return per;
}

for (const backend of ['thread', 'process'] as BackendName[]) {
  describe(`ObjectStore with a ${backend} pool`, { timeout: 120_000 }, () => {
    it('a 50 MB Float64Array put once serves 1,000 tasks; each worker materialises it exactly once', async () => {
      const pool = new Pool({ workers: 2, backend });
      try {
        const tasks = pool.load<typeof StoreTasks>(tasksUrl);
        const data = bigArray();
        const ref = pool.put(data);
        // Only the reference travels with a task: a few hundred bytes, not 50 MB.
        assert.ok(encode([ref, 0, 1]).data.byteLength < 1024, `a call's arguments took ${encode([ref, 0, 1]).data.byteLength} bytes`);
        const step = Math.floor(data.length / 1000);
        const calls = Array.from({ length: 1000 }, (_, i) => tasks.sumSlice(ref, i * step, (i + 1) * step));
        const results = await within(Promise.all(calls), 60_000);
        results.forEach((result, i) => assert.equal(result.sum, expectedSum(i * step, (i + 1) * step), `task ${i}`));
        assert.ok(results.every((result) => result.shared), 'every worker read a view on shared memory');
        const per = distinctPerWorker(results);
        assert.ok(per.size >= 1 && per.size <= 2, `workers seen: ${[...per.keys()].join(', ')}`);
        for (const [worker, count] of per) assert.equal(count, 1, `worker ${worker} materialised the array ${count} times`);
        assert.deepEqual(pool.put(new Uint8Array(8)) instanceof ObjectRef, true);
        assert.equal(pool.stats().state, 'running');
        const segment = ref.describe().segment;
        assert.ok(existsSync(shmPath(segment)));
        await within(pool.close());
        assert.equal(existsSync(shmPath(segment)), false, 'closing the pool released what it put');
        assert.equal(ref.released, true);
        assert.throws(() => pool.put(new Uint8Array(8)), { code: 'ERR_MP_POOL_CLOSED' });
      } finally {
        await pool.terminate();
      }
    });

    it('a ref nested in an argument arrives as a ref; get() reads the same pages, once per worker', async () => {
      await using pool = new Pool({ workers: 2, backend });
      const tasks = pool.load<typeof StoreTasks>(tasksUrl);
      const data = new Float64Array(100_000).map((_, i) => i % 7);
      const ref = pool.put(data);
      const jobs = Array.from({ length: 40 }, (_, i) => ({ data: ref, from: i * 2500, to: (i + 1) * 2500, label: `job ${i}` }));
      const results = await within(tasks.sumNested.map(jobs, { chunksize: 3 }));
      results.forEach((result, i) => {
        assert.equal(result.isRef, true);
        assert.equal(result.label, `job ${i}`);
        assert.equal(result.sum, expectedSum(i * 2500, (i + 1) * 2500));
        assert.equal(result.shared, true);
      });
      for (const [worker, count] of distinctPerWorker(results)) assert.equal(count, 1, `worker ${worker} materialised it ${count} times`);
      // A ref as a map item arrives as its value too (a map item is a call's one argument).
      assert.deepEqual(await within(pool.map(taskRef(tasksUrl, 'lengthOf'), [ref, ref])), [100_000, 100_000]);
      // A ref at the top of a starmap item's arguments arrives as its value too.
      const sums = await within(tasks.sumSlice.starmap([[ref, 0, 7], [ref, 7, 21]]));
      assert.deepEqual(sums.map((s) => s.sum), [21, 42]);
    });

    it('values are shared, not copied: a write through a view is seen everywhere; get({ copy: true }) is private', async () => {
      await using pool = new Pool({ workers: 2, backend });
      const tasks = pool.load<typeof StoreTasks>(tasksUrl);
      const ref = pool.put(new Float64Array(16));
      await within(tasks.writeAt(ref, 3, 42.5));
      assert.equal(ref.getSync()[3], 42.5, 'the owner sees the worker\'s write');
      const reads = await within(Promise.all(Array.from({ length: 8 }, () => tasks.readAt(ref, 3))));
      assert.deepEqual(reads, Array(8).fill(42.5));
      assert.equal(await within(tasks.writeCopy({ data: ref }, 5, 7)), 7);
      assert.equal(ref.getSync()[5], 0, 'a write to a private copy reaches no one');
      const copy = ref.getSync({ copy: true });
      copy[3] = -1;
      assert.equal(ref.getSync()[3], 42.5);
      assert.equal(copy.buffer instanceof SharedArrayBuffer, false);
    });

    it('other values are encoded once and decoded once per worker; typed arrays in plain objects stay shared', async () => {
      await using pool = new Pool({ workers: 2, backend });
      const tasks = pool.load<typeof StoreTasks>(tasksUrl);
      const records = new Map(Array.from({ length: 100_000 }, (_, i) => [i, { name: `r${i}`, tags: [String(i % 3)] }] as [number, { name: string; tags: string[] }]));
      const ref = pool.put(records);
      assert.equal(ref.describe().kind, 'encoded');
      const results = await within(Promise.all(Array.from({ length: 20 }, (_, i) => tasks.describeRecords(ref, i * 1000))));
      results.forEach((result, i) => assert.deepEqual(result, { size: 100_000, entry: { name: `r${i * 1000}`, tags: [String((i * 1000) % 3)] }, isMap: true }));
      const table = pool.put({ id: Int32Array.from({ length: 1000 }, (_, i) => i), score: new Float64Array(1000).fill(0.5), name: 'scores', meta: { rows: 1000 } });
      const description = table.describe();
      assert.equal(description.kind, 'tree');
      assert.deepEqual(description.arrays.map((a) => [a.type, a.offset % 64]), [['Int32Array', 0], ['Float64Array', 0]]);
      assert.deepEqual(await within(tasks.columns(table)), { rows: 1000, name: 'scores', scoreSum: 500, idShared: true, lastId: 999 });
    });

    it('getSync() of a value whose class module the worker has not loaded loads it on the spot; a module that awaits at its top level needs get()', async () => {
      // The workers may import the fixtures' modules (trusted), but no task module imports these two.
      await using pool = new Pool({ workers: 1, backend, env: { ...process.env, MULTIPROC_TRUST_MODULES: path.dirname(fixture('store-point.js')) } });
      const tasks = pool.load<typeof StoreTasks>(tasksUrl);
      const point = pool.put(new Point(3, 4));
      assert.equal(point.describe().kind, 'encoded');
      assert.deepEqual(await within(tasks.pointSync({ point })), { name: 'Point', x: 3, norm: 5 });
      const late = pool.put(new LatePoint(21));
      assert.deepEqual(await within(tasks.latePoint({ point: late })), { syncCode: 'ERR_MP_DECODE_NEEDS_IMPORT', double: 42 });
    });

    it('a released ref fails new tasks with ERR_MP_STORE_RELEASED, its segment is gone, and nested refs fail in the worker', async () => {
      await using pool = new Pool({ workers: 1, backend });
      const tasks = pool.load<typeof StoreTasks>(tasksUrl);
      const ref = pool.put(new Float64Array(1000).fill(1));
      const nested = { data: ref, from: 0, to: 10, label: 'x' };
      assert.equal((await within(tasks.sumSlice(ref, 0, 1000))).sum, 1000);
      assert.equal((await within(tasks.sumNested(nested))).sum, 10);
      const segment = ref.describe().segment;
      ref.release();
      ref.release(); // twice is harmless
      assert.equal(ref.released, true);
      assert.equal(existsSync(shmPath(segment)), false, 'the segment was unlinked');
      await assert.rejects(within(tasks.sumSlice(ref, 0, 1000)), { code: 'ERR_MP_STORE_RELEASED' });
      // A nested ref is sent as it is; the worker's own look at the live word fails it, and drops its copy.
      await assert.rejects(within(tasks.sumNested(nested)), { code: 'ERR_MP_STORE_RELEASED' });
      assert.throws(() => ref.getSync(), { code: 'ERR_MP_STORE_RELEASED' });
      await assert.rejects(ref.get(), { code: 'ERR_MP_STORE_RELEASED' });
      // The worker is fine: other objects still work.
      assert.equal((await within(tasks.sumSlice(pool.put(new Float64Array(4).fill(2)), 0, 4))).sum, 8);
    });

    it('a ref released while its task waits in the queue fails that task (ERR_MP_DECODE_HANDLE, caused by ERR_MP_STORE_RELEASED)', async () => {
      await using pool = new Pool({ workers: 1, backend });
      const tasks = pool.load<typeof StoreTasks>(tasksUrl);
      const ref = pool.put(new Float64Array(10).fill(1));
      assert.equal((await within(tasks.sumSlice(ref, 0, 10))).sum, 10);
      const busy = tasks.block(500);
      const late = tasks.sumSlice(ref, 0, 10);
      ref.release();
      await within(busy);
      await assert.rejects(within(late), (error: { code?: string; cause?: { code?: string } }) =>
        error.code === 'ERR_MP_DECODE_HANDLE' && error.cause?.code === 'ERR_MP_STORE_RELEASED');
      // The worker dropped its copy and serves the next object.
      assert.equal((await within(tasks.sumSlice(pool.put(new Float64Array(3).fill(1)), 0, 3))).sum, 3);
    });

    it(`a worker reads ${backend === 'thread' ? 'the owner\'s own mapping (no new one)' : 'a mapping of its own'}, sees the owner's writes, and unmaps it once it was released`, async () => {
      await using pool = new Pool({ workers: 1, backend });
      const tasks = pool.load<typeof StoreTasks>(tasksUrl);
      const ref = pool.put(new Float64Array(64 * 1024).fill(1));
      const segment = ref.describe().segment;
      assert.equal(mappingsHere([segment])[0], 1, 'the owner maps its segment once');
      assert.deepEqual(await within(tasks.sumAll(ref)), { sum: 64 * 1024, first: 1 });
      const [inWorker] = await within(tasks.mappingsOf([segment]));
      // A worker thread shares the process's mapping: the worker's attach added no mapping of its own.
      assert.equal(inWorker, 1, `the worker's process maps the segment ${inWorker} times`);
      assert.equal(mappingsHere([segment])[0], 1);
      (await ref.get())[0] = 5;
      assert.equal((await within(tasks.sumAll(ref))).first, 5, 'the owner\'s write is seen by the worker: no copy');
      ref.release();
      assert.equal(existsSync(shmPath(segment)), false);
      // The worker drops the released object at its next attach.
      assert.equal((await within(tasks.sumAll(pool.put(new Float64Array(8).fill(2))))).sum, 16);
      await eventually(async () => (await within(tasks.mappingsOf([segment])))[0] === 0, 'the worker to unmap the released segment');
      await eventually(() => Promise.resolve(mappingsHere([segment])[0] === 0), 'the owner to unmap it');
    });

    it('200 put / task / release cycles leave no mapping of those segments, in the owner or the worker', async () => {
      await using pool = new Pool({ workers: 1, backend });
      const tasks = pool.load<typeof StoreTasks>(tasksUrl);
      const segments: string[] = [];
      for (let i = 0; i < 200; i++) {
        const ref = pool.put(new Float64Array(16 * 1024).fill(i));
        segments.push(ref.describe().segment);
        assert.equal((await within(tasks.sumAll(ref))).first, i);
        ref.release();
      }
      // The last one is dropped at the worker's next attach.
      const last = pool.put(new Float64Array(4));
      await within(tasks.sumAll(last));
      const mapped = (counts: number[]): number => counts.filter((count) => count > 0).length;
      await eventually(async () => mapped(await within(tasks.mappingsOf(segments))) === 0, 'the worker to map none of them');
      await eventually(() => Promise.resolve(mapped(mappingsHere(segments)) === 0), 'the owner to map none of them');
      assert.equal(segments.filter((name) => existsSync(shmPath(name))).length, 0, 'and none is left in /dev/shm');
      last.release();
    });

    it(`a ref in a Process's args (${backend}) comes back through a Pipe as a ref to the same object`, async () => {
      const pool = new Pool({ workers: 1, backend });
      const [mine, theirs] = Pipe<{ sum: number; back: ObjectRef<Float64Array> }>();
      try {
        const ref = pool.put(new Float64Array(1000).fill(2));
        const child = new Process({ target: taskRef(tasksUrl, 'sumFromArgs'), args: [ref, theirs], backend });
        child.start();
        const { sum, back } = await within(mine.recv({ timeout: 20_000 }));
        assert.equal(sum, 2000);
        assert.ok(back instanceof ObjectRef);
        assert.equal(back.id, ref.id);
        assert.equal(back.getSync(), ref.getSync(), 'the owner reads its own mapping, not a second one');
        // A nested ref in a task's result comes home as a ref too, and can release the object.
        const tasks = pool.load<typeof StoreTasks>(tasksUrl);
        const echoed = await within(tasks.echo({ data: ref })) as { data: ObjectRef<Float64Array> };
        assert.ok(echoed.data instanceof ObjectRef);
        await within(child.join(20_000));
        assert.equal(child.exitcode, 0);
        echoed.data.release();
        assert.equal(ref.released, true);
      } finally {
        mine.close();
        theirs.close();
        await pool.terminate();
      }
    });

    it(`a ref travels through a Queue to a Process (${backend}) and is read there in place`, async () => {
      const pool = new Pool({ workers: 1, backend: 'thread' });
      const jobs = new Queue();
      const results = new Queue();
      try {
        const ref = pool.put(new Float64Array(10_000).fill(3));
        const child = new Process({ target: taskRef(tasksUrl, 'sumFromQueue'), args: [jobs, results], backend });
        child.start();
        await jobs.put(ref);
        await jobs.put(ref);
        await jobs.put(null);
        const first = await within(results.get({ timeout: 20_000 }) as Promise<{ sum: number; pid: number; isRef: boolean }>);
        const second = await within(results.get({ timeout: 20_000 }) as Promise<{ sum: number; isRef: boolean }>);
        assert.deepEqual([first.sum, first.isRef, second.sum], [30_000, true, 30_000]);
        if (backend === 'process') assert.notEqual(first.pid, process.pid);
        await within(child.join(20_000).then(() => child.exitcode));
        assert.equal(child.exitcode, 0);
      } finally {
        jobs.close();
        results.close();
        await pool.terminate();
      }
    });
  });
}
