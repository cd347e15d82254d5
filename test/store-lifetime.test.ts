// The object store on its own: lifetime (release, close, the tracker when the owner dies), a full segment
// folder, numpy reading what TS put, and bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ObjectStore, StoreReleasedError } from '../src/index.js';
import { finish, firstLine, fixture, python, pythonScript, startNode, waitUntil } from './helpers/spawn.js';
import { spawn } from 'node:child_process';

const shmPath = (name: string): string => `/dev/shm/${name}`;

describe('ObjectStore', () => {
  it('puts typed arrays, buffers and Buffers in 64-byte aligned segments and reads them as views on them', () => {
    using store = new ObjectStore();
    const floats = store.put(Float64Array.of(1, 2, 3));
    const view = floats.getSync();
    assert.ok(view.buffer instanceof SharedArrayBuffer);
    assert.deepEqual([...view], [1, 2, 3]);
    assert.equal(floats.getSync(), view, 'the same view every time: materialised once');
    const bytes = store.put(new Uint8Array([9, 8, 7]).buffer);
    const shared = bytes.getSync();
    assert.ok(shared instanceof SharedArrayBuffer);
    assert.deepEqual([...new Uint8Array(shared)], [9, 8, 7]);
    const buffer = store.put(Buffer.from('hello'));
    assert.ok(Buffer.isBuffer(buffer.getSync()));
    assert.equal(buffer.getSync().toString(), 'hello');
    const big = store.put({ a: new BigInt64Array([1n, -2n]), nested: [{ b: new Uint16Array([5]) }], same: undefined });
    const value = big.getSync();
    assert.deepEqual([...value.a], [1n, -2n]);
    assert.equal(value.nested[0]!.b[0], 5);
    assert.ok(value.a.buffer instanceof SharedArrayBuffer);
    assert.ok(big.describe().arrays.every((a) => a.offset % 64 === 0));
    assert.deepEqual(store.stats(), { objects: 4, bytes: store.stats().bytes, segments: 5 });
    assert.ok(store.stats().bytes >= 24 + 3 + 5 + 18);
  });

  it('describes a typed array as numpy needs it: segment, offset, dtype, shape', () => {
    using store = new ObjectStore();
    const ref = store.put(new Float32Array(10));
    assert.deepEqual(ref.describe(), {
      id: ref.id, segment: ref.describe().segment, dir: '/dev/shm', size: 40, kind: 'view',
      arrays: [{ type: 'Float32Array', dtype: '<f4', shape: [10], offset: 0 }],
      type: 'Float32Array', dtype: '<f4', shape: [10], offset: 0,
    });
  });

  it('Python reads a Float64Array put by TS in place with numpy.ndarray(shape, dtype, buffer=SharedMemory(name).buf, offset)', () => {
    using store = new ObjectStore();
    const data = Float64Array.from({ length: 1_000_000 }, (_, i) => i * 0.5);
    const ref = store.put(data);
    const { segment, offset, dtype, shape } = ref.describe();
    const result = spawnSync(python, [pythonScript('store_numpy.py'), segment, String(offset), dtype!, String(shape![0]), '7', '-3.25'],
      { encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(Number(result.stdout.trim()), (999_999 * 1_000_000 / 2) * 0.5);
    assert.equal(ref.getSync()[7], -3.25, 'numpy wrote to the same memory');
    assert.ok(existsSync(shmPath(segment)), 'Python left the segment alone');
  });

  it('release() unlinks the segment; the ref then fails with ERR_MP_STORE_RELEASED; close() releases the rest', () => {
    const store = new ObjectStore();
    const kept = store.put(new Int32Array(4));
    const gone = store.put(new Map([[1, 2]]));
    const segments = [kept.describe().segment, gone.describe().segment];
    {
      using scoped = store.put([1, 2, 3]);
      assert.deepEqual(scoped.getSync(), [1, 2, 3]);
      segments.push(scoped.describe().segment);
    }
    assert.equal(existsSync(shmPath(segments[2]!)), false, 'the using block released it');
    gone.release();
    assert.equal(existsSync(shmPath(segments[1]!)), false);
    assert.throws(() => gone.getSync(), (error: unknown) => error instanceof StoreReleasedError && error.code === 'ERR_MP_STORE_RELEASED');
    assert.throws(() => gone.describe(), { code: 'ERR_MP_STORE_RELEASED' });
    assert.equal(store.has(kept), true);
    assert.equal(store.has(gone), false);
    assert.deepEqual(store.stats(), { objects: 1, bytes: 16, segments: 2 });
    const view = kept.getSync();
    view[0] = 5;
    store.close();
    assert.equal(view[0], 0, 'a view taken before release reads zeros after it, never crashes');
    assert.equal(existsSync(shmPath(segments[0]!)), false);
    assert.equal(kept.released, true);
    assert.deepEqual(store.stats(), { objects: 0, bytes: 0, segments: 0 });
    assert.throws(() => store.put(1), { code: 'ERR_MP_STORE_CLOSED' });
    store.close();
  });

  it('the resource tracker unlinks the segments of an owner killed with SIGKILL', async () => {
    const owner = startNode(fixture('store-owner.js'), ['hang']);
    const done = finish(owner, 30_000);
    const names = JSON.parse(await firstLine(owner)) as string[];
    assert.equal(names.length, 3);
    for (const name of names) assert.ok(existsSync(shmPath(name)), `${name} exists while the owner lives`);
    owner.kill('SIGKILL');
    await waitUntil(() => names.every((name) => !existsSync(shmPath(name))), 15_000, 'the tracker to unlink the store\'s segments');
    assert.equal((await done).signal, 'SIGKILL');
  });

  it('a ref dropped without release() is released when collected (the backstop), and only that one', async () => {
    const result = await finish(spawn(process.execPath, ['--expose-gc', fixture('store-owner.js'), 'drop'], { stdio: ['ignore', 'pipe', 'pipe'] }), 30_000);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout.trim()), { objects: 1, segmentLeft: false, keptLive: true });
  });

  it('get() and getSync() give the one materialised object; { copy: true } a fresh private one each time', async () => {
    using store = new ObjectStore();
    const records = store.put(new Map([[1, { name: 'one' }]]));
    const first = await records.get();
    assert.equal(first, records.getSync());
    assert.deepEqual(first, new Map([[1, { name: 'one' }]]));
    const copy = await records.get({ copy: true });
    assert.notEqual(copy, first);
    assert.deepEqual(copy, first);
    const table = store.put({ xs: new Float64Array([1, 2]), label: 'x' });
    const value = await table.get();
    assert.equal(value, table.getSync());
    const private_ = await table.get({ copy: true });
    private_.xs[0] = 99;
    assert.equal(value.xs[0], 1, 'a copy shares nothing');
    assert.equal(private_.xs.buffer instanceof SharedArrayBuffer, false);
  });

  it('a full segment folder is ERR_MP_SHM_NO_SPACE at put, never a SIGBUS, and leaves nothing behind', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mp-store-tiny-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    if (mounted.status !== 0) rmSync(dir, { recursive: true, force: true });
    // These machines allow root to mount a tmpfs; a machine that does not must fail here, not pass silently.
    assert.equal(mounted.status, 0, `cannot mount a 1 MiB tmpfs for the no-space test: ${mounted.stderr.toString().trim()}`);
    try {
      using store = new ObjectStore({ dir });
      const small = store.put(new Uint8Array(1000).fill(1));
      const before = readdirSync(dir).sort();
      assert.throws(() => store.put(new Float64Array(256 * 1024)), (error: Record<string, unknown>) =>
        error['code'] === 'ERR_MP_SHM_NO_SPACE' && /Docker/.test(String(error['message'])));
      assert.deepEqual(readdirSync(dir).sort(), before, 'no half-made segment');
      assert.deepEqual(store.stats().objects, 1);
      assert.equal(small.describe().dir, dir);
      assert.equal(small.getSync()[999], 1, 'what fitted is still whole');
    } finally {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a full /dev/shm fails the put with ERR_MP_SHM_NO_SPACE in a process of its own, never with SIGBUS', () => {
    // A private mount namespace whose /dev/shm is 1 MiB; the rest of the machine is untouched.
    const probe = spawnSync('unshare', ['--mount', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs /dev/shm']);
    assert.equal(probe.status, 0, `cannot make a private /dev/shm for the no-space test: ${probe.stderr.toString().trim()}`);
    const script = `mount -t tmpfs -o size=1m tmpfs /dev/shm && exec "${process.execPath}" "${fixture('store-owner.js')}" no-space`;
    const result = spawnSync('unshare', ['--mount', 'sh', '-c', script], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.signal, null, 'no SIGBUS');
    assert.equal(result.status, 0, result.stderr);
    const outcome = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.equal(outcome['code'], 'ERR_MP_SHM_NO_SPACE', JSON.stringify(outcome));
    assert.equal(outcome['name'], 'SharedMemoryNoSpaceError');
    assert.match(String(outcome['message']), /Not enough space in \/dev\/shm/);
    assert.equal(outcome['objects'], 1, 'only the put that fitted is in the store');
    assert.equal(outcome['small'], 2);
  });

  it('rejects bad input with clear errors', () => {
    using store = new ObjectStore();
    assert.throws(() => new ObjectStore({ dir: 5 as unknown as string }), { name: 'TypeError', message: 'Expected `dir` to be a folder path, got `5` (number)' });
    assert.throws(() => new ObjectStore({ dir: '/nonexistent/folder' }), RangeError);
    assert.throws(() => store.put(() => 1), { code: 'ERR_MP_ENCODE' });
    assert.equal(store.stats().objects, 0, 'a value that cannot travel leaves nothing behind');
    const ref = store.put(new Uint8Array(4));
    assert.throws(() => ref.getSync({ copy: 'yes' as unknown as boolean }), { name: 'TypeError', message: 'Expected `copy` to be a boolean, got `"yes"` (string)' });
  });
});
