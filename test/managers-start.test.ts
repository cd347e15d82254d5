// BaseManager.start(): the server in a child process, its callables imported by module and export, an initializer,
// a Python client on it, shutdown and `await using`, and no orphan when the parent is killed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BaseManager, taskRef, type QueueProxy } from '../src/index.js';
import { getResultQueue, getTaskQueue, initializerThatThrows, makeWhere, namedQueue, setGreeting, type Where } from './fixtures/manager-start-module.js';
import { rejectsWithCode } from './helpers/codes.js';
import { pythonFor } from './helpers/python-versions.js';
import { finish, firstLine, fixture, pythonScript, startNode, waitUntil } from './helpers/spawn.js';

const authkey = new TextEncoder().encode('z');
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** This process's children running a manager server. */
function serverChildren(): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).flatMap((entry) => {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('server-main') ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}

type WhereProxy = { [K in keyof Where]: () => Promise<ReturnType<Where[K]>> };

describe('BaseManager.start()', () => {
  it('serves objects made in the child by callables from a module, after the initializer ran there', async () => {
    const manager = new BaseManager({ authkey })
      .register('where', { callable: makeWhere })
      .register('queue', { callable: namedQueue });
    await manager.start({ initializer: setGreeting, initargs: ['ab', 3] });
    const pid = manager.pid!;
    assert.ok(alive(pid) && pid !== process.pid);
    const [host, port] = manager.address as [string, number];
    assert.equal(host, '127.0.0.1');
    assert.ok(port > 0);

    const where = await manager.create<WhereProxy>('where');
    assert.equal(await where.pid(), pid, 'the method ran in the child');
    assert.equal(await where.greeting(), 'ababab', 'the initializer ran there first, with its arguments');
    // Python's callable=lambda: q: every create of the same name is the same queue.
    const first = await manager.create<QueueProxy<string>>('queue', 'jobs');
    const second = await manager.create<QueueProxy<string>>('queue', 'jobs');
    await first.put('hello');
    assert.equal(await second.get(), 'hello');
    assert.equal(await manager.numberOfObjects(), 2);

    await manager.shutdown();
    assert.equal(alive(pid), false, 'shutdown ended the child');
    await rejectsWithCode(new BaseManager({ address: ['127.0.0.1', port], authkey }).connect(), 'ERR_MP_CONNECTION_FAILED');
  });

  it('await using shuts the started server down', async () => {
    let pid = 0;
    {
      await using manager = await new BaseManager({ authkey }).register('where', { callable: makeWhere }).start();
      pid = manager.pid!;
      const where = await manager.create<WhereProxy>('where');
      assert.equal(await where.pid(), pid);
    }
    assert.equal(alive(pid), false);
  });

  it('refuses a callable the child cannot import, before starting anything', async () => {
    const manager = new BaseManager({ authkey }).register('local', { callable: () => ({}) });
    await assert.rejects(manager.start(), TypeError);
    assert.equal(manager.pid, undefined);
    const withBadInitializer = new BaseManager({ authkey });
    await assert.rejects(withBadInitializer.start({ initializer: () => undefined }), TypeError);
  });

  it('reports a failing initializer or a missing export with a code, and leaves no child', async () => {
    await rejectsWithCode(new BaseManager({ authkey }).start({ initializer: initializerThatThrows }), 'ERR_MP_MANAGER_START_FAILED');
    // A function that names its module and export (as a task reference does), naming one the module lacks.
    const ref = taskRef(new URL('./fixtures/manager-start-module.js', import.meta.url), 'noSuchExport');
    const named = Object.defineProperties(() => undefined, { url: { value: ref.url }, name: { value: ref.name } });
    const missing = new BaseManager({ authkey }).register('gone', { callable: named });
    await rejectsWithCode(missing.start(), 'ERR_MP_MANAGER_START_FAILED');
    await waitUntil(() => serverChildren().length === 0, 10_000, 'the failed children to be gone');
  });

  it('starts once', async () => {
    await using manager = await new BaseManager({ authkey }).start();
    await rejectsWithCode(manager.start(), 'ERR_MP_MANAGER_STATE');
  });

  for (const version of ['3.11', '3.12'] as const) {
    it(`a Python ${version} client works on a started manager`, async () => {
      await using manager = await new BaseManager({ authkey })
        .register('get_task_queue', { callable: getTaskQueue })
        .register('get_result_queue', { callable: getResultQueue })
        .start();
      const tasks = await manager.create<QueueProxy<number | null>>('get_task_queue');
      const results = await manager.create<QueueProxy<[number, number] | null>>('get_result_queue');
      for (const n of [2, 3, 4]) await tasks.put(n);
      await tasks.put(null);
      const port = String((manager.address as [string, number])[1]);
      const py = await finish(spawn(pythonFor(version), [pythonScript('manager_seed_client.py'), port], { stdio: ['ignore', 'pipe', 'pipe'] }), 60_000);
      assert.equal(py.code, 0, py.stderr);
      assert.match(py.stdout, /client done 3/);
      const got: unknown[] = [];
      for (let item = await results.get(); item !== null; item = await results.get()) got.push([...item]);
      assert.deepEqual(got, [[2, 4], [3, 9], [4, 16]]);
    });
  }

  it('leaves no orphan when the parent is killed with SIGKILL', async (t) => {
    const parent = startNode(fixture('manager-start-parent.js'));
    t.after(() => parent.kill('SIGKILL'));
    const { pid, port } = JSON.parse(await firstLine(parent, 30_000)) as { pid: number; port: number };
    assert.ok(alive(pid));
    // The child really serves before the parent dies.
    const manager = await new BaseManager({ address: ['127.0.0.1', port], authkey: new TextEncoder().encode('parent-key') }).connect();
    const where = await manager.create<WhereProxy>('where');
    assert.equal(await where.pid(), pid);
    manager.close();
    parent.kill('SIGKILL');
    await waitUntil(() => !alive(pid), 10_000, 'the started server to die with its parent');
  });
});
