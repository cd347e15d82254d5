// SyncManager proxies passed to pool workers (threads and processes) and to a Process: they travel as a handle
// (token, exposed names, the manager's key), reconnect there, take a reference of their own and give it back,
// and their blocking calls wait in the worker as Python's proxies do. A proxy collected without release() gives its
// reference back (a child run with --expose-gc).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Pool, Process, SyncManager, taskRef, type BackendName, type ManagerServer } from '../src/index.js';
import type * as Tasks from './fixtures/managers-sync-tasks.js';
import { pythonFor } from './helpers/python-versions.js';
import { within } from './pool/harness.js';
import { finish, firstLine, fixture, pythonScript } from './helpers/spawn.js';

const url = new URL(`file://${fixture('managers-sync-tasks.js')}`);
const appendBoth = taskRef<typeof Tasks.appendBoth>(url, 'appendBoth');
const consume = taskRef<typeof Tasks.consume>(url, 'consume');
const keep = taskRef<typeof Tasks.keep>(url, 'keep');
const drop = taskRef<typeof Tasks.drop>(url, 'drop');
const fill = taskRef<typeof Tasks.fill>(url, 'fill');
const authkey = new TextEncoder().encode('workers-key');


/** The reference count the server's debug_info gives an object. */
async function refcountOf(manager: SyncManager, id: string): Promise<number | undefined> {
  const match = new RegExp(`${id}:\\s+refcount=(\\d+)`).exec(await manager.debugInfo());
  return match === null ? undefined : Number(match[1]);
}

for (const kind of ['ts', '3.12'] as const) describe(`SyncManager proxies in workers, ${kind === 'ts' ? 'the TypeScript server' : `Python ${kind}'s server`}`, () => {
  let server: ManagerServer | undefined;
  let python: ChildProcess | undefined;
  let serving: Promise<unknown>;
  let manager: SyncManager;

  before(async () => {
    if (kind === 'ts') {
      server = await new SyncManager({ authkey }).getServer();
      serving = server.serveForever();
      manager = await new SyncManager({ address: server.address, authkey }).connect();
      return;
    }
    python = spawn(pythonFor(kind), [pythonScript('sync_server.py'), 'workers-key'], { stdio: ['pipe', 'pipe', 'pipe'] });
    serving = finish(python, 240_000);
    const port = Number(/^listening 127\.0\.0\.1 (\d+)$/.exec(await firstLine(python, 20_000))?.[1]);
    manager = await new SyncManager({ address: ['127.0.0.1', port], authkey }).connect();
  });

  after(async () => {
    if (python !== undefined) await manager.shutdown();
    manager.close();
    server?.close();
    await serving;
  });

  for (const backend of ['thread', 'process'] as BackendName[]) {
    it(`a pool worker (${backend}) calls a list proxy asynchronously and blocking, then gives its reference back`, async () => {
      const pool = new Pool({ workers: 2, backend });
      try {
        const list = await manager.list<number>();
        const lengths = await within(Promise.all([pool.apply(appendBoth, [list, 1]), pool.apply(appendBoth, [list, 2])]));
        // Each task saw its own two items, and the last of the four saw all of them.
        assert.ok(lengths.every((n) => n >= 2 && n <= 4));
        assert.equal(Math.max(...lengths), 4);
        assert.deepEqual((await list.tolist()).sort((a, b) => a - b), [1, 2, 10, 20]);
        // Each worker's copy took a reference and gave it back: only this side's is left.
        assert.equal(await refcountOf(manager, list.token.id), 1);
        await list.release();
        assert.equal(await refcountOf(manager, list.token.id), undefined);
      } finally {
        await pool.terminate();
      }
    });

    it(`the seed in pool workers (${backend}): blocking get and put on two queue proxies`, async () => {
      const pool = new Pool({ workers: 2, backend });
      try {
        const tasks = await manager.Queue<number | null>();
        const results = await manager.Queue<[number, number] | null>();
        const before = await manager.numberOfObjects();
        const clients = [pool.apply(consume, [tasks, results]), pool.apply(consume, [tasks, results])];
        for (let n = 0; n < 40; n++) await tasks.put(n);
        await tasks.put(null);
        await tasks.put(null);
        const got: [number, number][] = [];
        for (let finished = 0; finished < 2; ) {
          const item = await within(results.get(true, 30));
          if (item === null) finished++;
          else got.push([Number(item[0]), Number(item[1])]);
        }
        assert.equal((await within(Promise.all(clients))).reduce((a, b) => a + b, 0), 40);
        assert.deepEqual(got.sort((a, b) => a[0] - b[0]), Array.from({ length: 40 }, (_, n) => [n, n * n]));
        assert.equal(await manager.numberOfObjects(), before);
        await tasks.release();
        await results.release();
      } finally {
        await pool.terminate();
      }
    });

    it(`a worker's copy (${backend}) holds its own reference until it releases it`, async () => {
      const pool = new Pool({ workers: 1, backend });
      try {
        const list = await manager.list([7, 8]);
        assert.equal(await within(pool.apply(keep, [list])), 2);
        assert.equal(await refcountOf(manager, list.token.id), 2);
        // This side letting go leaves the object to the worker's reference.
        await list.release();
        assert.equal(await refcountOf(manager, list.token.id), 1);
        assert.equal(await within(pool.apply(drop, [])), true);
        assert.equal(await refcountOf(manager, list.token.id), undefined);
      } finally {
        await pool.terminate();
      }
    });

    it(`a Process (${backend}) fills a list through its proxy with blocking calls`, async () => {
      const list = await manager.list<number>();
      const child = new Process({ target: fill, args: [list, 5], backend });
      child.start();
      await within(child.join());
      assert.equal(child.exitcode, 0);
      assert.deepEqual(await list.tolist(), [0, 1, 2, 3, 4]);
      assert.equal(await refcountOf(manager, list.token.id), 1);
      await list.release();
      child.close();
    });
  }

});

describe('SyncManager proxies and the garbage collector', () => {
  it('a proxy collected without release() gives its reference back; one still held keeps it; one a dict holds lives until the dict lets it go', async () => {
    const child = spawn(process.execPath, ['--expose-gc', fixture('managers-sync-gc.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
    const result = await finish(child, 60_000);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout.trim()) as Record<string, number>;
    assert.deepEqual(report, { created: 2, after: 1, stillUsable: 1, heldAfterGc: 1, end: 0, nestedHeld: 2, nestedUsable: 2, nestedAfterClear: 1, nestedEnd: 0 });
  });
});
