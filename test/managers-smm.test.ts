// The SharedMemoryManager server (Python's SharedMemoryServer) and its client, between TypeScript peers and with real
// Python 3.11 and 3.12 on either side: segments tracked, listed, released, all unlinked at shutdown, none left when a client dies.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it, type TestContext } from 'node:test';
import { createInterface } from 'node:readline';
import { RemoteSharedMemoryManager, SharedMemory, ShareableList, type ManagerServer } from '../src/index.js';
import { rejectsWithCode } from './helpers/codes.js';
import { pythonFor } from './helpers/python-versions.js';
import { fixture, pythonScript, startNode, waitUntil } from './helpers/spawn.js';

const key = 'smm-key';
const authkey = new TextEncoder().encode(key);
const inShm = (name: string): boolean => existsSync(`/dev/shm/${name}`);

async function tsServer(t: TestContext): Promise<{ server: ManagerServer; port: number; done: Promise<void> }> {
  const server = await new RemoteSharedMemoryManager({ authkey }).getServer();
  const done = server.serveForever();
  t.after(() => server.close());
  return { server, port: (server.address as [string, number])[1], done };
}

function client(port: number): RemoteSharedMemoryManager {
  return new RemoteSharedMemoryManager({ address: ['127.0.0.1', port], authkey });
}

/** A process killed at the end of the test if still running, and a reader of its JSON lines. */
function peer(t: TestContext, child: ChildProcess): { next(timeout?: number): Promise<unknown> } {
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    async next(timeout = 20_000) {
      let timer: NodeJS.Timeout | undefined;
      const line = await Promise.race([
        lines.next(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no line within ${timeout} ms; stderr: ${stderr}`)), timeout))),
      ]).finally(() => clearTimeout(timer));
      if (line.done === true) throw new Error(`the peer ended; stderr: ${stderr}`);
      return JSON.parse(line.value) as unknown;
    },
  };
}

describe('RemoteSharedMemoryManager between TypeScript peers', () => {
  it('tracks the segments a client makes, lists them, releases one, and unlinks the rest at shutdown', async (t) => {
    const { port, done } = await tsServer(t);
    const manager = await client(port).connect();
    const segment = await manager.sharedMemory(256);
    const list = await manager.shareableList([1, 'two', 3.5, null]);
    new Uint8Array(segment.buf).set([7, 8, 9]);
    assert.deepEqual(await manager.listSegments(), [segment.name, list.shm.name]);
    assert.ok(inShm(segment.name) && inShm(list.shm.name));
    // Another process's view of the same bytes.
    const other = SharedMemory.attach(segment.name);
    assert.deepEqual([...new Uint8Array(other.buf, 0, 3)], [7, 8, 9]);
    other.close();

    await manager.releaseSegment(segment.name);
    assert.equal(inShm(segment.name), false);
    assert.deepEqual(await manager.listSegments(), [list.shm.name]);
    // Releasing what is not tracked is Python's ValueError, sent as a traceback; the server goes on.
    await rejectsWithCode(manager.releaseSegment(segment.name), 'ERR_MP_MANAGER_REMOTE');
    // A name that is not one segment (a path) is refused, so no client can make the server unlink a file elsewhere.
    await rejectsWithCode(manager.trackSegment('../../tmp/x'), 'ERR_MP_MANAGER_REMOTE');
    assert.deepEqual(await manager.listSegments(), [list.shm.name]);

    assert.equal(list.get(1), 'two');
    await manager.shutdown();
    await done;
    assert.equal(inShm(list.shm.name), false, 'shutdown unlinked the tracked list');
    segment.close();
    list.shm.close();
  });

  it('a plain manager server has no segment functions', async (t) => {
    const { port } = await tsServer(t);
    const { BaseManager } = await import('../src/index.js');
    const plain = await new BaseManager({ authkey }).getServer();
    const serving = plain.serveForever();
    t.after(() => plain.close());
    const manager = client((plain.address as [string, number])[1]);
    await rejectsWithCode(manager.listSegments(), 'ERR_MP_MANAGER_REMOTE');
    // And a segment the server refused to track is not left behind.
    await rejectsWithCode(manager.sharedMemory(64), 'ERR_MP_MANAGER_REMOTE');
    plain.close();
    await serving;
    assert.ok(port > 0);
  });

  it('leaves no segment behind when a client dies before the server shuts down', async (t) => {
    const { port, done } = await tsServer(t);
    const child = startNode(fixture('smm-client-child.js'), [String(port), key]);
    const names = (await peer(t, child).next()) as string[];
    const manager = client(port);
    assert.deepEqual(await manager.listSegments(), names);
    assert.ok(names.every(inShm));
    child.kill('SIGKILL');
    // The dead client's resource tracker unlinks what it made; the server's own unlinking then finds nothing, which is no error.
    await waitUntil(() => !names.some(inShm), 15_000, 'the dead client segments to be unlinked');
    await manager.shutdown();
    await done;
  });

  it('start() runs the SharedMemoryServer in a child process that unlinks everything when shut down', async () => {
    const manager = await new RemoteSharedMemoryManager({ authkey }).start();
    const pid = manager.pid!;
    assert.notEqual(pid, process.pid);
    const segment = await manager.sharedMemory(100);
    const list = await manager.shareableList(['a', 'b']);
    assert.deepEqual(await manager.listSegments(), [segment.name, list.shm.name]);
    await manager.shutdown();
    assert.equal(inShm(segment.name) || inShm(list.shm.name), false);
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
    segment.close();
    list.shm.close();
  });
});

for (const version of ['3.11', '3.12'] as const) {
  describe(`SharedMemoryManager with Python ${version}`, () => {
    it("Python's SharedMemoryManager client on the TypeScript server: tracked, listed, released, the rest unlinked at shutdown", async (t) => {
      const { port, done } = await tsServer(t);
      const py = spawn(pythonFor(version), [pythonScript('smm_peer.py'), 'client', String(port), key], { stdio: ['pipe', 'pipe', 'pipe'] });
      const lines = peer(t, py);
      const first = (await lines.next()) as { names: [string, string]; listed: string[] };
      const [segmentName, listName] = first.names;
      assert.deepEqual(first.listed, first.names);
      const manager = client(port);
      assert.deepEqual(await manager.listSegments(), first.names);
      // The bytes Python wrote, and the list Python made, read here.
      const segment = SharedMemory.attach(segmentName);
      assert.equal(new TextDecoder().decode(new Uint8Array(segment.buf, 0, 5)), 'hello');
      segment.close();
      const list = ShareableList.attach(listName);
      assert.deepEqual([...list], [1, 'two', 3.5, null]);
      list.shm.close();

      py.stdin.write(`release ${segmentName}\n`);
      assert.deepEqual(await lines.next(), { released: segmentName });
      assert.equal(inShm(segmentName), false);
      // Python is still running (its own tracker has not run): the server's shutdown is what unlinks the list.
      assert.ok(inShm(listName));
      await manager.shutdown();
      await done;
      assert.equal(inShm(listName), false);
      py.stdin.end('exit\n');
    });

    it("the TypeScript client on Python's SharedMemoryManager server: Python tracks, lists and unlinks at shutdown", async (t) => {
      const py = spawn(pythonFor(version), [pythonScript('smm_peer.py'), 'server', key], { stdio: ['pipe', 'pipe', 'pipe'] });
      const { port } = (await peer(t, py).next()) as { port: number };
      const manager = await client(port).connect();
      const segment = await manager.sharedMemory(64);
      const list = await manager.shareableList([42, 'py']);
      assert.deepEqual(await manager.listSegments(), [segment.name, list.shm.name]);
      await manager.releaseSegment(segment.name);
      assert.equal(inShm(segment.name), false, 'Python released it');
      assert.ok(inShm(list.shm.name));
      const exited = new Promise<number | null>((resolve) => py.once('exit', resolve));
      await manager.shutdown();
      assert.equal(await exited, 0);
      // This process is alive, so its own tracker did not do it: Python's server unlinked the list.
      assert.equal(inShm(list.shm.name), false);
      segment.close();
      list.shm.close();
    });

    it('a Python client killed mid-way leaves nothing once the server shuts down', async (t) => {
      const { port, done } = await tsServer(t);
      const py = spawn(pythonFor(version), [pythonScript('smm_peer.py'), 'client', String(port), key], { stdio: ['pipe', 'pipe', 'pipe'] });
      const { names } = (await peer(t, py).next()) as { names: string[] };
      assert.ok(names.every(inShm));
      py.kill('SIGKILL');
      const manager = client(port);
      assert.deepEqual(await manager.listSegments(), names);
      await manager.shutdown();
      await done;
      assert.equal(names.some(inShm), false);
    });
  });
}
