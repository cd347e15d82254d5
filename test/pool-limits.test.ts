// How big a pool may be: a worker count past the bound is refused at once, and a process pool whose channels
// do not fit in /dev/shm fails before starting any worker.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { Pool } from '../src/index.js';
import { fixture } from './helpers/spawn.js';

function childProcesses(): number {
  const result = spawnSync('ps', ['--ppid', String(process.pid), '-o', 'pid='], { encoding: 'utf8' });
  // ps itself is one of them.
  return result.stdout.trim().split('\n').filter((line) => line.trim() !== '').length - 1;
}

describe('pool size', () => {
  for (const backend of ['thread', 'process'] as const) {
    it(`refuses more than 1024 ${backend} workers at once, starting none`, () => {
      const before = childProcesses();
      const started = Date.now();
      assert.throws(() => new Pool({ workers: 1025, backend }),
        { name: 'RangeError', message: 'Expected `workers` to be a positive integer up to 1024, got `1025` (number)' });
      assert.throws(() => new Pool({ workers: 1e9, backend }), RangeError);
      assert.throws(() => new Pool({ workers: Infinity, backend }), RangeError);
      assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
      assert.equal(childProcesses(), before, 'no worker process was started');
    });
  }

  /** Runs the fixture with `workers` in a private mount namespace whose /dev/shm is a 4 MiB tmpfs. */
  function inSmallShm(workers: number): { code?: string; name?: string; message?: string; children?: number; xs?: number[] } {
    const script = `mount -t tmpfs -o size=4m tmpfs /dev/shm && exec "${process.execPath}" "${fixture('pool-shm-room.js')}" ${workers}`;
    const result = spawnSync('unshare', ['--mount', 'sh', '-c', script], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 0, `${result.stderr}${result.error === undefined ? '' : String(result.error)}`);
    return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as ReturnType<typeof inSmallShm>;
  }

  it('fails a process pool whose channels do not fit in /dev/shm with ERR_MP_SHM_NO_SPACE, before any worker starts', () => {
    // 16 channels of 512 KiB need 8 MiB.
    const outcome = inSmallShm(16);
    assert.equal(outcome.code, 'ERR_MP_SHM_NO_SPACE', JSON.stringify(outcome));
    assert.equal(outcome.name, 'SharedMemoryNoSpaceError');
    assert.match(outcome.message!, /Not enough space in \/dev\/shm for the channels of 16 pool worker processes/);
    assert.match(outcome.message!, /--shm-size/);
    assert.equal(outcome.children, 0, 'no worker process (nor the resource tracker) was started');
  });

  it('starts a process pool whose channels fit in the same /dev/shm', () => {
    assert.deepEqual(inSmallShm(2).xs, [0, 1]);
  });
});
