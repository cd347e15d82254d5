// `multiproc manager serve` as installed (the package's bin): the seed's unmodified Python client and master doing
// the job against it on Python 3.11 and 3.12, a Python SyncManager client using its typeids, module exports served,
// the refusals (no key, a bad option), and no process left behind.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BaseManager } from '../src/index.js';
import { pythonFor } from './helpers/python-versions.js';
import { finish, firstLine, fixture, pythonScript } from './helpers/spawn.js';

const { bin } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> };
const cli = fileURLToPath(new URL(bin['multiproc']!, new URL('../../', import.meta.url)));

function start(t: TestContext, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

/** The CLI serving with the key in MP_MANAGER_KEY; its port, and its exit. */
async function serveCli(t: TestContext, args: string[], key = 'z'): Promise<{ child: ChildProcess; port: string; done: ReturnType<typeof finish> }> {
  const child = start(t, process.execPath, [cli, 'manager', 'serve', '--authkey-env', 'MP_MANAGER_KEY', ...args], { ...process.env, MP_MANAGER_KEY: key });
  const done = finish(child, 120_000);
  const line = await firstLine(child, 20_000);
  const port = /^listening 127\.0\.0\.1 (\d+)$/.exec(line)?.[1];
  assert.ok(port !== undefined, `the command printed ${line}`);
  return { child, port, done };
}

for (const version of ['3.11', '3.12'] as const) {
  describe(`multiproc manager serve with Python ${version}`, () => {
    const python = pythonFor(version);

    it("serves the seed's queues to its unmodified Python clients and master, then stops on the master's shutdown", async (t) => {
      const { child, port, done } = await serveCli(t, ['--address', '127.0.0.1:0', '--register', 'get_task_queue=queue', '--register', 'get_result_queue=Queue']);
      const clients = [0, 1].map(() => finish(start(t, python, [pythonScript('manager_seed_client.py'), port]), 60_000));
      const master = await finish(start(t, python, [pythonScript('manager_seed_master.py'), port, '60', '2']), 60_000);
      assert.equal(master.code, 0, master.stderr);
      assert.deepEqual(JSON.parse(master.stdout), Array.from({ length: 60 }, (_, n) => [n, n * n]));
      let taken = 0;
      for (const client of await Promise.all(clients)) {
        assert.equal(client.code, 0, client.stderr);
        taken += Number(/client done (\d+)/.exec(client.stdout)?.[1]);
      }
      assert.equal(taken, 60);
      const ended = await done;
      assert.equal(ended.code, 0, ended.stderr);
      // Nothing is left running: the command itself has exited.
      assert.notEqual(child.exitCode, null);
    });

    it("serves every SyncManager typeid to Python's SyncManager.connect()", async (t) => {
      const { port, done } = await serveCli(t, [], 'sync-key');
      const client = await finish(start(t, python, [pythonScript('sync_client.py'), port, 'sync-key', 'shutdown']), 60_000);
      assert.equal(client.code, 0, client.stderr);
      const out = JSON.parse(client.stdout) as Record<string, unknown>;
      assert.deepEqual(out['queue'], [1, [2, 'x'], 0, true, ['Empty', ''], ['Empty', ''], ['Full', ''], true, ['ValueError', 'task_done() called too many times']]);
      assert.deepEqual(out['condition'], [['RuntimeError', 'cannot wait on un-acquired lock'], ['RuntimeError', 'cannot notify on un-acquired lock'], false, false, true]);
      assert.equal(out['objects_after'], 0);
      assert.equal((await done).code, 0);
    });
  });
}

describe('multiproc manager serve', () => {
  it('serves module exports: a class and a factory made per create, an object as it is', async (t) => {
    const exports = fixture('managers-sync-exports.js');
    const { port, done } = await serveCli(t, ['--register', `counter=${exports}#Counter`, '--register', `greeting=${exports}#makeGreeting`, '--register', `settings=${exports}#settings`]);
    const manager = await new BaseManager({ address: ['127.0.0.1', Number(port)], authkey: new TextEncoder().encode('z') }).connect();
    const counter = await manager.create<{ increment(by?: number): Promise<number> }>('counter');
    assert.equal(await counter.increment(), 1);
    assert.equal(await counter.increment(5), 6);
    // A class is constructed for each create: a second counter starts again.
    const other = await manager.create<{ increment(): Promise<number> }>('counter');
    assert.equal(await other.increment(), 1);
    const greeting = await manager.create<{ greet(): Promise<string> }>('greeting', 'Ada');
    assert.equal(await greeting.greet(), 'hello Ada');
    const settings = await manager.create<{ get(key: string): Promise<string | null> }>('settings');
    assert.equal(await settings.get('mode'), 'fast');
    for (const proxy of [counter, other, greeting, settings]) await proxy.release();
    assert.equal(await manager.numberOfObjects(), 0);
    await manager.shutdown();
    assert.equal((await done).code, 0);
  });

  it('the queue a name is registered with is one object for every create, as callable=lambda: queue', async (t) => {
    const { port, done } = await serveCli(t, ['--register', 'jobs=joinablequeue']);
    const manager = await new BaseManager({ address: ['127.0.0.1', Number(port)], authkey: new TextEncoder().encode('z') }).connect();
    const a = await manager.create<{ put(x: unknown): Promise<void> }>('jobs');
    const b = await manager.create<{ get(): Promise<unknown>; qsize(): Promise<number> }>('jobs');
    await a.put('one');
    assert.equal(await b.qsize(), 1);
    assert.equal(await b.get(), 'one');
    assert.equal(a.token.id, b.token.id);
    await manager.shutdown();
    assert.equal((await done).code, 0);
  });

  it('refuses to start without its key, and on a bad option, before listening', async (t) => {
    const env = { ...process.env };
    delete env['MP_ABSENT_KEY'];
    for (const [args, mention] of [
      [['--authkey-env', 'MP_ABSENT_KEY'], 'MP_ABSENT_KEY'],
      [['--register', 'q=queue'], '--authkey-env'],
      [['--authkey-env', 'PATH', '--register', 'q=nosuchtype'], 'nosuchtype'],
      [['--authkey-env', 'PATH', '--register', 'noequals'], '--register'],
      [['--authkey-env', 'PATH', '--address', 'nohostport'], '--address'],
      [['--authkey-env', 'PATH', '--bogus', 'x'], '--bogus'],
    ] as const) {
      const result = await finish(start(t, process.execPath, [cli, 'manager', 'serve', ...args], env), 20_000);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stdout, '', 'nothing was served');
      assert.ok(result.stderr.includes(mention), result.stderr);
    }
    const help = await finish(start(t, process.execPath, [cli, 'manager', 'help']), 20_000);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--authkey-env VAR/);
  });

  it('stops on SIGTERM with status 0, leaving nothing behind', async (t) => {
    const { child, port, done } = await serveCli(t, ['--register', 'q=queue']);
    const manager = await new BaseManager({ address: ['127.0.0.1', Number(port)], authkey: new TextEncoder().encode('z') }).connect();
    const q = await manager.create<{ get(block?: boolean, timeout?: number): Promise<unknown> }>('q');
    // A call blocked on the server is given up when it stops, not left hanging.
    const blocked = q.get(true, 60);
    blocked.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGTERM');
    const ended = await done;
    assert.equal(ended.code, 0, ended.stderr);
    await assert.rejects(blocked);
    manager.close();
  });
});
