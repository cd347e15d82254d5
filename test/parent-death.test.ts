// Pool worker processes and other children tied to their parent die with it, even in the middle of a
// CPU-bound task, and the resource tracker leaves none of the dead pool's segments behind.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { allRecords, readRecord } from '../src/shm/owner-records.js';
import { finish, firstLine, fixture, runNode, startNode, waitUntil } from './helpers/spawn.js';

/** Running or sleeping; a zombie (dead, waiting for init to reap it) or a reaped pid is not. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    // Where there is no /proc, kill() is all there is to go by.
    return !existsSync('/proc/self');
  }
}

function killIfRunning(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

const shmNames = (): string[] => (existsSync('/dev/shm') ? readdirSync('/dev/shm').filter((name) => name.startsWith('psm_')) : []);

describe('dying with the parent', () => {
  it('SIGKILLing a process pool\'s parent kills its workers in the middle of CPU-bound tasks', { timeout: 60_000 }, async () => {
    const before = new Set(shmNames());
    const parent = startNode(fixture('parent-death-main.js'), ['30000']);
    const done = finish(parent, 40_000);
    let workers: number[] = [];
    try {
      const printed = JSON.parse(await firstLine(parent, 30_000)) as { pids: number[]; segments: string[]; control: string };
      workers = printed.pids;
      assert.equal(workers.length, 2);
      assert.ok(workers.every(isRunning), 'both workers run before the parent dies');
      assert.ok(printed.segments.includes(printed.control));
      // The pool's segments: those the parent still owned, and any new one that it or a worker created.
      const owners = new Set([parent.pid!, ...workers]);
      const ownedByPool = (name: string): boolean => {
        const owner = readRecord({ shm: true, path: `/${name}` })?.pid;
        return owner !== undefined && owners.has(owner);
      };
      const left = (): string[] => [...new Set([...printed.segments, ...shmNames().filter((name) => !before.has(name) && ownedByPool(name))])]
        .filter((name) => existsSync(`/dev/shm/${name}`));
      const atKill = left();
      parent.kill('SIGKILL');
      await waitUntil(() => !workers.some(isRunning), 5_000, 'both workers to die with their parent');
      // stdout and stderr close once the workers and the tracker (which shares stderr) have exited.
      const result = await done;
      assert.equal(result.signal, 'SIGKILL');
      assert.match(result.stderr, new RegExp(`resource tracker: .*/${printed.control}`), 'the tracker ran');
      await waitUntil(() => left().length === 0, 5_000, `the tracker to unlink ${atKill.join(', ')}`);
      assert.deepEqual(allRecords().filter((record) => owners.has(record.pid)), [], 'no owner record of the dead pool is left');
    } finally {
      killIfRunning([...workers, ...(parent.pid === undefined ? [] : [parent.pid])]);
    }
  });

  it('the polling watcher kills a busy child within its interval when the parent dies', { timeout: 30_000 }, async () => {
    const parent = startNode(fixture('parent-death-child.js'), ['parent', 'poll']);
    const done = finish(parent, 20_000);
    let child: number | undefined;
    try {
      child = (JSON.parse(await firstLine(parent)) as { pid: number }).pid;
      assert.ok(isRunning(child));
      parent.kill('SIGKILL');
      await waitUntil(() => !isRunning(child!), 5_000, 'the child to die with its parent');
      await done;
    } finally {
      killIfRunning([...(child === undefined ? [] : [child]), ...(parent.pid === undefined ? [] : [parent.pid])]);
    }
  });

  for (const mechanism of ['auto', 'poll'] as const) {
    it(`a child whose parent already died (${mechanism}) kills itself at once`, { timeout: 30_000 }, async () => {
      // The child's parent is this process, so any other pid stands for a parent that died while it started.
      const result = await runNode(fixture('parent-death-child.js'), ['child', mechanism, String(process.ppid)], 20_000);
      assert.equal(result.signal, 'SIGKILL', result.stderr);
      assert.equal(result.stdout, '');
    });
  }
});
