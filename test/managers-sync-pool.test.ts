// SyncManager's Pool typeid: multiproc's own Pool served, its tasks named by module URL and export, used through a
// typed PoolProxy and by an unmodified Python client; its workers stop when the last proxy lets it go.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { isStopIteration, PythonError, SyncManager, taskRef, type ManagerServer } from '../src/index.js';
import type * as Tasks from './fixtures/managers-sync-pool-tasks.js';
import { pythonFor } from './helpers/python-versions.js';
import { within } from './pool/harness.js';
import { finish, fixture, pythonScript } from './helpers/spawn.js';

const url = new URL(`file://${fixture('managers-sync-pool-tasks.js')}`);
const square = taskRef<typeof Tasks.square>(url, 'square');
const add = taskRef<typeof Tasks.add>(url, 'add');
const slowly = taskRef<typeof Tasks.slowly>(url, 'slowly');
const fail = taskRef<typeof Tasks.fail>(url, 'fail');
const authkey = new TextEncoder().encode('pool-key');


describe("SyncManager's Pool typeid", () => {
  let server: ManagerServer;
  let serving: Promise<void>;
  let manager: SyncManager;

  before(async () => {
    server = await new SyncManager({ authkey }).getServer();
    serving = server.serveForever();
    manager = await new SyncManager({ address: server.address, authkey }).connect();
  });

  after(async () => {
    manager.close();
    server.close();
    await serving;
  });

  it('apply, map, starmap, apply_async, map_async, imap and imap_unordered, typed by the task', async () => {
    const pool = await manager.Pool(2);
    assert.equal(await within(pool.apply(add, [2, 3])), 5);
    assert.deepEqual(await within(pool.map(square, [1, 2, 3, 4])), [1, 4, 9, 16]);
    assert.deepEqual(await within(pool.map(square, Array.from({ length: 50 }, (_, i) => i), 7)), Array.from({ length: 50 }, (_, i) => i * i));
    assert.deepEqual(await within(pool.starmap(add, [[1, 2], [3, 4]])), [3, 7]);
    assert.equal(await within(pool.apply(`${url.href}#square`, [9])), 81);
    const pending = await pool.apply_async(slowly, [7, 200]);
    assert.equal(await pending.ready(), false);
    await assert.rejects(pending.get(0.01), (error: unknown) => error instanceof PythonError && error.pythonClass === 'TimeoutError');
    assert.equal(await within(pending.get(30)), 7);
    assert.equal(await pending.ready(), true);
    assert.equal(await pending.successful(), true);
    const mapped = await pool.map_async(square, [5, 6]);
    assert.deepEqual(await within(mapped.get()), [25, 36]);
    const ordered = await pool.imap(square, [1, 2, 3]);
    const seen: number[] = [];
    for (;;) {
      try {
        seen.push(await within(ordered.next()));
      } catch (error) {
        assert.ok(isStopIteration(error));
        break;
      }
    }
    assert.deepEqual(seen, [1, 4, 9]);
    const unordered = await pool.imap_unordered(square, [2, 3]);
    const any = [await within(unordered.next()), await within(unordered.next())];
    assert.deepEqual(any.sort((a, b) => a - b), [4, 9]);
    for (const proxy of [pending, mapped, ordered, unordered]) await proxy.release();
    await pool.close();
    await within(pool.join());
    await pool.release();
  });

  it('a task that throws comes back as its error; a function or a bad name is refused, and the pool still runs', async () => {
    const pool = await manager.Pool(1);
    await assert.rejects(within(pool.apply(fail, ['no good'])), (error: unknown) => error instanceof Error && /no good/.test(error.message));
    await assert.rejects(pool.apply('no-hash-here' as never, []), (error: unknown) => error instanceof PythonError && error.pythonClass === 'TypeError');
    assert.throws(() => pool.apply({} as never, []), TypeError);
    assert.equal(await within(pool.apply(add, [1, 1])), 2);
    // A blocking call to the server this thread runs would wait for ever: it is refused instead.
    assert.throws(() => pool.blocking.apply(square, [12]), (error: { code?: string }) => error.code === 'ERR_MP_MANAGER_STATE');
    await pool.terminate();
    await pool.release();
  });

  it('the last release of a pool stops its workers, and the server counts nothing', async () => {
    const before = await manager.numberOfObjects();
    const pool = await manager.Pool(1);
    assert.equal(await within(pool.apply(square, [3])), 9);
    await pool.release();
    assert.equal(await manager.numberOfObjects(), before);
  });

  for (const version of ['3.11', '3.12'] as const) {
    it(`an unmodified Python ${version} client uses the served Pool with tasks named 'url#export'`, async () => {
      const port = String((server.address as [string, number])[1]);
      const child = spawn(pythonFor(version), [pythonScript('sync_pool_client.py'), port, 'pool-key', url.href], { stdio: ['pipe', 'pipe', 'pipe'] });
      const result = await finish(child, 60_000);
      assert.equal(result.code, 0, result.stderr);
      const out = JSON.parse(result.stdout) as Record<string, unknown>;
      assert.equal(out['apply'], 5);
      assert.deepEqual(out['map'], [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
      assert.deepEqual(out['starmap'], [3, 7]);
      assert.deepEqual(out['async'], [49, true, true]);
      assert.deepEqual(out['imap'], [1, 4, 9]);
      assert.equal((out['error'] as string[])[0], 'ValueError');
      assert.match((out['error'] as string[])[1]!, /no good/);
      // A Python function does not arrive through the allow-list: refused before anything runs.
      assert.equal(out['function'], 'UnpicklingError');
    });
  }
});
