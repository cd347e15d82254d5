import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SharedMemory } from '../src/shm/shared-memory.js';
import { finish, firstLine, fixture, runNode, startNode } from './helpers/spawn.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
type Row = { name: string; size: number | null; pid: number | null; alive: boolean | null };

async function ls(): Promise<Row[]> {
  const result = await runNode(cli, ['shm', 'ls', '--json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Row[];
}

describe('multiproc shm ls | rm | gc', () => {
  it('lists name, size, creator pid and liveness; gc removes segments of dead creators only', async () => {
    const dead = startNode(fixture('shm-child.js'), ['create-untracked-and-hang', '1234']);
    const deadDone = finish(dead, 30_000);
    const deadName = await firstLine(dead);
    using alive = SharedMemory.create(4321);
    try {
      let rows = await ls();
      assert.deepEqual(rows.find((row) => row.name === deadName), { name: deadName, dir: '/dev/shm', size: 1234, pid: dead.pid, alive: true });
      dead.kill('SIGKILL');
      await deadDone;
      rows = await ls();
      assert.equal(rows.find((row) => row.name === deadName)?.alive, false);
      assert.equal(rows.find((row) => row.name === alive.name)?.alive, true);

      const table = await runNode(cli, ['shm', 'ls']);
      assert.match(table.stdout, new RegExp(`${deadName}\\s+1234\\s+${dead.pid}\\s+dead`));

      const gc = await runNode(cli, ['shm', 'gc']);
      assert.equal(gc.code, 0, gc.stderr);
      assert.match(gc.stdout, new RegExp(`removed ${deadName}`));
      assert.equal(existsSync(`/dev/shm/${deadName}`), false);
      assert.ok(existsSync(`/dev/shm/${alive.name}`), 'a live creator keeps its segment');
    } finally {
      dead.kill('SIGKILL');
      alive.unlink();
    }
  });

  it('rm unlinks by name and reports a missing one with a non-zero status', async () => {
    const shm = SharedMemory.create(10, { track: false });
    shm.close();
    const removed = await runNode(cli, ['shm', 'rm', shm.name]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(existsSync(`/dev/shm/${shm.name}`), false);
    const again = await runNode(cli, ['shm', 'rm', shm.name]);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /ENOENT/);
    const usage = await runNode(cli, ['shm', 'frobnicate']);
    assert.equal(usage.code, 2);
    assert.match(usage.stdout, /usage: multiproc shm/);
  });
});
