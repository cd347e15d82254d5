// The bundle's V8 code cache (src/load-runtime.ts): written beside the runtime script or where
// MULTIPROC_CODE_CACHE says, one file for the package entry and one for pool workers; reused while it
// matches the script, written again when stale or rejected, and never in the way of a run.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { finish, fixture, startNode } from './helpers/spawn.js';

const script = fileURLToPath(new URL('../pkg/runtime.cjs', import.meta.url));
const folders: string[] = [];
after(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function freshFolder(): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'multiproc-code-cache-'));
  folders.push(folder);
  return folder;
}

function cacheFile(folder: string, role: 'entry' | 'worker'): string {
  return path.join(folder, `${role}-${process.version}-${process.arch}.v8`);
}

/** The 16-byte header a cache for the script as it is now starts with: its size and mtime. */
function currentStamp(): Buffer {
  const { size, mtimeMs } = statSync(script);
  const stamp = Buffer.alloc(16);
  stamp.writeDoubleLE(size, 0);
  stamp.writeDoubleLE(mtimeMs, 8);
  return stamp;
}

async function runPool(setting: string, backend: 'thread' | 'process' = 'thread'): Promise<void> {
  const result = await finish(startNode(fixture('code-cache-run.js'), [backend], { ...process.env, MULTIPROC_CODE_CACHE: setting }), 60_000);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), '5');
  assert.equal(result.stderr, '');
}

describe('the code cache of the package bundle', () => {
  it('is written for the package entry and for pool workers, and read again unchanged by threads and processes', async () => {
    const folder = freshFolder();
    await runPool(folder);
    const entry = cacheFile(folder, 'entry');
    const worker = cacheFile(folder, 'worker');
    for (const file of [entry, worker]) {
      const bytes = readFileSync(file);
      assert.ok(bytes.length > 16, `${file} holds compiled code`);
      assert.deepEqual(bytes.subarray(0, 16), currentStamp(), `${file} names the script as it is now`);
    }
    // A cache V8 accepted is not written again: the same files (same inodes) stay after two more runs.
    const inodes = [statSync(entry).ino, statSync(worker).ino];
    await runPool(folder, 'process');
    await runPool(folder);
    assert.deepEqual([statSync(entry).ino, statSync(worker).ino], inodes);
  });

  it('is written again when V8 rejects it or it was made for another build of the script, and the run is right', async () => {
    const folder = freshFolder();
    await runPool(folder);
    const entry = cacheFile(folder, 'entry');
    const worker = cacheFile(folder, 'worker');
    const valid = readFileSync(worker);
    // The entry's: the right header over bytes that are not a V8 cache. The worker's: a valid cache made
    // for a script of another modification time.
    writeFileSync(entry, Buffer.concat([currentStamp(), Buffer.alloc(4096, 0x5a)]));
    const otherBuild = Buffer.from(valid);
    otherBuild.writeDoubleLE(valid.readDoubleLE(8) - 1000, 8);
    writeFileSync(worker, otherBuild);
    await runPool(folder);
    for (const file of [entry, worker]) assert.deepEqual(readFileSync(file).subarray(0, 16), currentStamp(), `${file} was written again`);
    assert.notDeepEqual(readFileSync(entry).subarray(16, 4112), Buffer.alloc(4096, 0x5a));
  });

  it('stays out of the way when its folder cannot be made, and is off with MULTIPROC_CODE_CACHE=0', async () => {
    const folder = freshFolder();
    const blocker = path.join(folder, 'a-file');
    writeFileSync(blocker, 'not a folder');
    await runPool(path.join(blocker, 'cache'), 'process');
    assert.deepEqual(readFileSync(blocker, 'utf8'), 'not a folder');
    const beside = path.join(path.dirname(script), '.code-cache');
    rmSync(beside, { recursive: true, force: true });
    await runPool('0');
    assert.equal(existsSync(beside), false, 'nothing was written beside the script');
  });
});
