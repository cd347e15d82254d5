// Managers between TypeScript and real Python 3.11, 3.12 and 3.13: the seed (server, client, master) in every mix,
// Python clients probing the TypeScript server (errors, wrong keys, a hand-built os.system pickle) and a
// TypeScript client against Python's server.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BaseManager, dumps, loads, ManagedQueue, ProxyRef, PythonError, type QueueProxy } from '../src/index.js';
import { rejectsWithCode } from './helpers/codes.js';
import { pythonFor } from './helpers/python-versions.js';
import { finish, firstLine, pythonScript, startNode } from './helpers/spawn.js';

const versions = ['3.11', '3.12', '3.13'] as const;
const authkey = new TextEncoder().encode('z');
const example = (name: string): string => fileURLToPath(new URL(`../examples/${name}`, import.meta.url));
const expectedResults = (count: number): string => JSON.stringify(Array.from({ length: count }, (_, n) => [n, n * n]));

/** A process under a time limit, killed at the end of the test if it is still running. */
function start(t: TestContext, command: string, args: string[]): ChildProcess {
  const child = command === 'node' ? startNode(args[0]!, args.slice(1)) : spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

async function portOf(server: ChildProcess): Promise<string> {
  const line = await firstLine(server, 20_000);
  const match = /^listening 127\.0\.0\.1 (\d+)$/.exec(line);
  assert.ok(match, `the server printed ${line}`);
  return match[1]!;
}

/** Runs the seed: a server, `clients` clients and a master, each either 'py' or 'ts'; checks every result and every exit. */
async function seed(t: TestContext, python: string, mix: { server: 'py' | 'ts'; client: 'py' | 'ts'; master: 'py' | 'ts' }, clients = 2, count = 50): Promise<void> {
  const run = (who: 'py' | 'ts', py: string, ts: string, args: string[]): ChildProcess =>
    who === 'py' ? start(t, python, [pythonScript(py), ...args]) : start(t, 'node', [example(ts), ...args]);
  const server = run(mix.server, 'manager_seed_server.py', 'manager-server.js', ['0']);
  const serverDone = finish(server, 60_000);
  const port = await portOf(server);
  const workers = Array.from({ length: clients }, () => finish(run(mix.client, 'manager_seed_client.py', 'manager-client.js', [port]), 60_000));
  const master = await finish(run(mix.master, 'manager_seed_master.py', 'manager-master.js', [port, String(count), String(clients)]), 60_000);
  assert.equal(master.code, 0, master.stderr);
    assert.equal(JSON.stringify(JSON.parse(master.stdout.trim())), expectedResults(count));
  let taken = 0;
  for (const worker of await Promise.all(workers)) {
    assert.equal(worker.code, 0, worker.stderr);
    taken += Number(/client done (\d+)/.exec(worker.stdout)?.[1]);
  }
  assert.equal(taken, count);
  // The master's shutdown request ends the server, whichever language it is written in.
  const ended = await serverDone;
  assert.equal(ended.code, 0, ended.stderr);
}

async function tsServer(t: TestContext): Promise<{ manager: BaseManager; port: string; done: Promise<void> }> {
  const queue = new ManagedQueue();
  class Child {
    constructor(readonly items: number[]) {}
    count(value: number): number {
      return this.items.filter((item) => item === value).length;
    }
  }
  const manager = new BaseManager({ authkey })
    .register('get_task_queue', { callable: () => queue })
    .register('Parent', { callable: () => ({ get_child: () => new Child([1, 2, 1]) }), methodToTypeid: { get_child: 'Child' } })
    .register('Child', {});
  const server = await manager.getServer();
  t.after(() => server.close());
  const done = server.serveForever();
  return { manager, port: String((server.address as readonly [string, number])[1]), done };
}

function events(stdout: string): Record<string, unknown>[] {
  return stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

for (const version of versions) {
  describe(`managers with Python ${version}`, () => {
    const python = pythonFor(version);

    it('seed: Python server, TypeScript clients and master', (t) => seed(t, python, { server: 'py', client: 'ts', master: 'ts' }));
    it('seed: TypeScript server, Python clients and master', (t) => seed(t, python, { server: 'ts', client: 'py', master: 'py' }));
    it('seed: Python server and master, TypeScript clients', (t) => seed(t, python, { server: 'py', client: 'ts', master: 'py' }));

    it('a Python client gets values, queue.Empty, RemoteError, TypeError and #PROXY from the TypeScript server', async (t) => {
      const { manager, port, done } = await tsServer(t);
      const probe = await finish(start(t, python, [pythonScript('manager_probe.py'), port, 'queue', 'errors', 'wrongkey', 'shutdown']), 60_000);
      assert.equal(probe.code, 0, probe.stderr);
      const [queue, released, errors, wrongkey] = events(probe.stdout);
      assert.deepEqual(queue, {
        step: 'queue',
        got: "[{'k': [1, 2.5, None, b'\\x00']}, 'x']",
        empty: 'queue.Empty',
        qsize: 0,
        repr: '<AutoProxy[get_task_queue] object, typei',
        objects: 1,
      });
      // The proxy's decref freed the queue's last reference.
      assert.deepEqual(released, { step: 'released', objects: 0 });
      assert.match(String(errors?.['not_exposed']), /^KeyError: '_items'/);
      assert.equal(errors?.['no_typeid'], "KeyError: 'NoSuchType'");
      assert.equal(errors?.['bad_keyword'], "put() got an unexpected keyword argument 'nosuch'");
      assert.deepEqual(errors?.['child'], ['AutoProxy[Child]', 'Child', 2, ['count']]);
      assert.deepEqual(wrongkey, { step: 'wrongkey', result: 'AuthenticationError' });
      await done;
      assert.equal(manager.address.length, 2);
    });

    it('a hand-built os.system pickle from a Python client gets #ERROR with a code, runs nothing, and the server stays up', async (t) => {
      const { port, done } = await tsServer(t);
      const dir = mkdtempSync(path.join(tmpdir(), 'mp-manager-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const marker = path.join(dir, 'pwned');
      const probe = await finish(start(t, python, [pythonScript('manager_probe.py'), port, 'malicious', marker, 'queue', 'shutdown']), 60_000);
      assert.equal(probe.code, 0, probe.stderr);
      const [malicious, queue] = events(probe.stdout);
      assert.deepEqual(malicious?.['replies'], [
        ['#ERROR', 'UnpicklingError', 'ERR_MP_PICKLE_GLOBAL: the global posix.system is not on the allow-list (register it with registerPickleClass or registerPickleFunction)'],
        ['#ERROR', 'UnpicklingError', 'ERR_MP_PICKLE_GLOBAL: the global os.system is not on the allow-list (register it with registerPickleClass or registerPickleFunction)'],
        ['#TRACEBACK'],
      ]);
      assert.equal(malicious?.['marker'], false);
      assert.equal(existsSync(marker), false);
      assert.equal(queue?.['qsize'], 0);
      await done;
    });

    it('proxies pickled by TypeScript load in Python as AutoProxy, and pickled by Python load in TypeScript as ProxyRef', async (t) => {
      const { manager: served, port, done } = await tsServer(t);
      const manager = new BaseManager({ address: served.address, authkey });
      const q = await manager.create<QueueProxy>('get_task_queue');
      const probe = await finish(start(t, python, [pythonScript('manager_probe.py'), port, 'pickled', Buffer.from(dumps(q.toRef())).toString('hex')]), 60_000);
      assert.equal(probe.code, 0, probe.stderr);
      const [pickled] = events(probe.stdout);
      assert.equal(pickled?.['type'], 'AutoProxy[get_task_queue]');
      assert.equal(pickled?.['got'], 'through a TypeScript-pickled proxy');
      const ref = loads(Buffer.from(String(pickled?.['mine']), 'hex'));
      assert.ok(ref instanceof ProxyRef);
      assert.equal(ref.token.id, q.token.id);
      assert.deepEqual([...(ref.exposed ?? [])], [...q.exposed]);
      const again = await manager.proxyFor<QueueProxy>(ref);
      await again.put('via ProxyRef');
      assert.equal(await q.get(true, 5), 'via ProxyRef');
      await again.release();
      await q.release();
      assert.equal(await manager.numberOfObjects(), 0);
      await manager.shutdown();
      await done;
    });

    it("a TypeScript client against Python's server: values, queue.Empty, RemoteError, references, a wrong key", async (t) => {
      const server = start(t, python, [pythonScript('manager_seed_server.py'), '0']);
      const serverDone = finish(server, 60_000);
      const port = Number(await portOf(server));
      const manager = new BaseManager({ address: ['127.0.0.1', port], authkey });
      await manager.connect();
      const q = await manager.create<QueueProxy>('get_task_queue');
      assert.ok(q.exposed.includes('put') && q.exposed.includes('get_nowait'));
      assert.equal(q.exposed.includes('shutdown'), version === '3.13');
      await q.put(new Map<unknown, unknown>([['k', [1, 2.5, null, Uint8Array.of(0)]]]));
      await q.callMethod('put', ['x'], { block: false });
      assert.deepEqual(await q.get(), new Map<unknown, unknown>([['k', [1, 2.5, null, Uint8Array.of(0)]]]));
      assert.equal(await q.callMethod('get', [], { timeout: 5 }), 'x');
      await assert.rejects(q.get_nowait(), (error: PythonError) => error.pythonModule === '_queue' && error.pythonClass === 'Empty');
      await rejectsWithCode(q.callMethod('_qsize'), 'ERR_MP_MANAGER_REMOTE');
      await rejectsWithCode(q.callMethod('#GETVALUE'), 'ERR_MP_MANAGER_UNSERIALIZABLE');
      await rejectsWithCode(manager.create('NoSuchType'), 'ERR_MP_MANAGER_REMOTE');
      assert.equal(await manager.numberOfObjects(), 1);
      assert.match(await manager.debugInfo(), /refcount=1\n {4}<queue\.Queue object/);
      await q.release();
      assert.equal(await manager.numberOfObjects(), 0);
      await rejectsWithCode(new BaseManager({ address: ['127.0.0.1', port], authkey: new TextEncoder().encode('wrong') }).connect(), 'ERR_MP_AUTHENTICATION');
      await manager.shutdown();
      const ended = await serverDone;
      assert.equal(ended.code, 0, ended.stderr);
    });
  });
}

describe('managers between TypeScript processes', () => {
  it('seed: TypeScript server, clients and master', (t) => seed(t, 'python3', { server: 'ts', client: 'ts', master: 'ts' }, 3, 60));
});
