import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { readRecord } from '../src/shm/owner-records.js';
import { SharedMemory } from '../src/shm/shared-memory.js';
import { finish, firstLine, fixture, runNode, startNode, waitUntil } from './helpers/spawn.js';

const child = fixture('shm-child.js');
const shmPath = (name: string): string => `/dev/shm/${name}`;

describe('resource tracker', () => {
  it('unlinks the segments of a creator killed with SIGKILL, and warns once', async () => {
    const creator = startNode(child, ['create-and-hang', '4096']);
    const done = finish(creator, 30_000);
    const name = await firstLine(creator);
    assert.ok(existsSync(shmPath(name)));
    assert.equal(readRecord({ shm: true, path: `/${name}` })?.pid, creator.pid);
    creator.kill('SIGKILL');
    await waitUntil(() => !existsSync(shmPath(name)), 15_000, `the tracker to unlink ${name}`);
    const result = await done; // stderr closes once the tracker (which shares it) has exited
    assert.equal(result.signal, 'SIGKILL');
    const warnings = result.stderr.split('\n').filter((line) => line.includes('resource tracker'));
    assert.equal(warnings.length, 1, result.stderr);
    assert.match(warnings[0]!, new RegExp(`1 shared memory segment\\(s\\); unlinked: /${name}`));
    assert.equal(readRecord({ shm: true, path: `/${name}` }), undefined, 'its owner record is gone too');
  });

  it('unlinks after a normal exit without unlink()', async () => {
    const result = await runNode(child, ['create-and-exit', '100']);
    assert.equal(result.code, 0, result.stderr);
    const name = result.stdout.trim();
    await waitUntil(() => !existsSync(shmPath(name)), 15_000, `the tracker to unlink ${name}`);
  });

  it('never unlinks a name that someone else unlinked and created again', async () => {
    const creator = startNode(child, ['create-and-hang', '64']);
    const done = finish(creator, 30_000);
    const name = await firstLine(creator);
    SharedMemory.attach(name).unlink();
    using mine = SharedMemory.create(64, { name });
    try {
      creator.kill('SIGKILL');
      const result = await done;
      assert.equal(result.signal, 'SIGKILL');
      assert.ok(existsSync(shmPath(name)), 'the new segment of the same name survived');
      assert.doesNotMatch(result.stderr, /resource tracker/);
    } finally {
      mine.unlink();
    }
  });

  it('leaves untracked segments (track: false) for `shm gc`', async () => {
    const creator = startNode(child, ['create-untracked-and-hang', '64']);
    const done = finish(creator, 30_000);
    const name = await firstLine(creator);
    creator.kill('SIGKILL');
    await done;
    try {
      assert.ok(existsSync(shmPath(name)));
    } finally {
      SharedMemory.attach(name).unlink();
    }
  });

  it('keeps a segment made by a worker thread after that thread exits (one tracker per process)', async () => {
    const moduleUrl = pathToFileURL(fixture('../../src/shm/shared-memory.js')).href;
    const worker = new Worker(`
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(moduleUrl)}).then(({ SharedMemory }) => parentPort.postMessage(SharedMemory.create(64).name));
    `, { eval: true });
    const name = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('worker did not answer')), 15_000);
      worker.once('message', (message: string) => {
        clearTimeout(timer);
        resolve(message);
      });
      worker.once('error', reject);
    });
    await worker.terminate();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(existsSync(shmPath(name)), 'the worker exiting does not unlink the segment');
    SharedMemory.attach(name).unlink();
  });
});
