// Blocking calls of BaseManager proxies (`proxy.blocking`), as a Python client makes them: against the TypeScript
// server (the CLI, in a process of its own) and Python's, one connection for every call of a thread, the errors
// thrown as a Python client raises them, a call to a server this thread runs refused, and a worker thread
// terminated while blocked in `get` leaves nothing behind: the server gives the get up, so no item is lost to it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BaseManager, ManagedQueue, PythonError, type AutoProxy, type QueueProxy } from '../src/index.js';
import { throwsCode } from './helpers/codes.js';
import { pythonFor } from './helpers/python-versions.js';
import { finish, firstLine, pythonScript } from './helpers/spawn.js';

const { bin } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> };
const cli = fileURLToPath(new URL(bin['multiproc']!, new URL('../../', import.meta.url)));
const srcIndex = new URL('../src/index.js', import.meta.url).href;
const authkey = new TextEncoder().encode('z');

const openDescriptors = (): number => readdirSync('/proc/self/fd').length;

/** A server in a process of its own serving the seed's two queues: the CLI, or Python's seed server. */
function startServer(kind: 'ts' | '3.12'): ChildProcess {
  if (kind === 'ts') {
    return spawn(process.execPath, [cli, 'manager', 'serve', '--authkey-env', 'MP_MANAGER_KEY', '--address', '127.0.0.1:0', '--register', 'get_task_queue=queue', '--register', 'get_result_queue=queue'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, MP_MANAGER_KEY: 'z' },
    });
  }
  return spawn(pythonFor(kind), [pythonScript('manager_seed_server.py'), '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
}

for (const kind of ['ts', '3.12'] as const) describe(`blocking proxy calls, ${kind === 'ts' ? 'the TypeScript server' : `Python ${kind}'s server`}`, () => {
  let child: ChildProcess;
  let done: ReturnType<typeof finish>;
  let port: number;

  before(async () => {
    child = startServer(kind);
    done = finish(child, 240_000);
    port = Number(/^listening 127\.0\.0\.1 (\d+)$/.exec(await firstLine(child, 20_000))?.[1]);
  });

  after(async () => {
    await new BaseManager({ address: ['127.0.0.1', port], authkey }).shutdown().catch(() => child.kill('SIGKILL'));
    const ended = await done;
    assert.equal(ended.signal, null, ended.stderr);
  });

  it('puts and gets with the calling thread waiting, on one connection for all its calls', async () => {
    const manager = await new BaseManager({ address: ['127.0.0.1', port], authkey }).connect();
    const q = await manager.create<QueueProxy<unknown>>('get_task_queue');
    const b = q.blocking;
    assert.equal(b.put(1), null);
    assert.equal(b.get(), 1);
    const before = openDescriptors();
    for (let i = 0; i < 200; i++) {
      b.put({ i, text: 'x'.repeat(i) });
      assert.deepEqual(b.get(), new Map<unknown, unknown>([['i', i], ['text', 'x'.repeat(i)]]));
    }
    // 200 pairs and no descriptor more: the blocking channel is opened once and kept.
    assert.equal(openDescriptors(), before);
    assert.equal(b.qsize(), 0);
    // Async and blocking calls of one proxy mix: both reach the same object.
    await q.put('async');
    assert.equal(b.get(), 'async');
    manager.close();
    assert.ok(openDescriptors() < before, 'close() closes the blocking channel');
    await q.release().catch(() => undefined);
  });

  it("raises what the served object raises, as a Python client's call does, and keeps the channel", async () => {
    const manager = await new BaseManager({ address: ['127.0.0.1', port], authkey }).connect();
    const q = await manager.create<QueueProxy<string>>('get_task_queue');
    assert.throws(() => q.blocking.get(false), (error: PythonError) => error instanceof PythonError && error.pythonClass === 'Empty');
    assert.throws(() => q.callMethodSync('get', [], { timeout: 0.05 }), (error: PythonError) => error instanceof PythonError && error.pythonClass === 'Empty');
    q.blocking.put_nowait('after the errors');
    assert.equal(q.callMethodSync('get', [], { block: true, timeout: 5 }), 'after the errors');
    await q.release();
    throwsCode(() => q.blocking.qsize(), 'ERR_MP_PROXY_RELEASED');
    manager.close();
    throwsCode(() => q.blocking.qsize(), 'ERR_MP_PROXY_RELEASED');
  });

  // Python's server gives no blocked call up (its thread waits in queue.get() and takes the next item): ours does.
  if (kind === 'ts') it('a worker thread terminated in a blocking get leaves no get behind: the next item reaches a client that is there', async () => {
    const worker = new Worker(
      `import { workerData, parentPort } from 'node:worker_threads';
       const { BaseManager } = await import(workerData.srcIndex);
       const manager = await new BaseManager({ address: ['127.0.0.1', workerData.port], authkey: new TextEncoder().encode('z') }).connect();
       const q = await manager.create('get_task_queue');
       parentPort.postMessage('blocking');
       const taken = q.blocking.get();
       parentPort.postMessage({ taken });`,
      { eval: true, workerData: { srcIndex, port } },
    );
    const messages: unknown[] = [];
    worker.on('message', (message) => messages.push(message));
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (message) => message === 'blocking' && resolve());
    });
    // Long enough for the get to reach the server and wait there.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await worker.terminate();
    const manager = await new BaseManager({ address: ['127.0.0.1', port], authkey }).connect();
    const q: AutoProxy<QueueProxy<string>> = await manager.create<QueueProxy<string>>('get_task_queue');
    // The server saw the worker's connection end and gave its get up, or the get would take this item.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await q.put('only');
    assert.equal(await q.get(true, 5), 'only');
    assert.deepEqual(messages, ['blocking']);
    await q.release();
    manager.close();
  });
});

describe('blocking proxy calls: what is refused', () => {
  it('refuses a blocking call to a server this same thread runs, which would wait for ever', async (t) => {
    const serverSide = new BaseManager({ authkey }).register('get_task_queue', { callable: () => new ManagedQueue() });
    const server = await serverSide.getServer();
    const serving = server.serveForever();
    t.after(() => server.close());
    const manager = new BaseManager({ address: server.address, authkey });
    const q = await manager.create<QueueProxy<number>>('get_task_queue');
    throwsCode(() => q.blocking.get(), 'ERR_MP_MANAGER_STATE');
    await q.put(7);
    assert.equal(await q.get(), 7);
    await manager.shutdown();
    await serving;
  });

  it('checks the spin option', () => {
    for (const spin of [-1, 1e7, Number.NaN, '5']) assert.throws(() => new BaseManager({ authkey, spin: spin as number }), RangeError);
    assert.doesNotThrow(() => new BaseManager({ authkey, spin: 0 }));
  });
});
