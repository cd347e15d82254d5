// The bundle's V8 code cache (src/load-runtime.ts): written beside the runtime scripts or where
// MULTIPROC_CODE_CACHE says, one file per script and role (the package entry, a pool worker); reused while
// it matches its script, written again when stale or rejected, and never in the way of a run.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { finish, fixture, startNode } from './helpers/spawn.js';

type Script = 'core' | 'runtime';
type Role = 'entry' | 'worker';
const scriptPath = (script: Script): string => fileURLToPath(new URL(`../pkg/${script}.cjs`, import.meta.url));
const folders: string[] = [];
after(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function freshFolder(): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'multiproc-code-cache-'));
  folders.push(folder);
  return folder;
}

function cacheFile(folder: string, script: Script, role: Role): string {
  return path.join(folder, `${script}-${role}-${process.version}-${process.arch}.v8`);
}

/** The 16-byte header a cache for the script as it is now starts with: its size and mtime. */
function currentStamp(script: Script): Buffer {
  const { size, mtimeMs } = statSync(scriptPath(script));
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
    // The worker runs core; the package entry (in the main thread, and in the worker through the task
    // module, which imports multiproc) is core and runtime.
    const files = ([['core', 'entry'], ['runtime', 'entry'], ['core', 'worker']] as const).map(([script, role]) => ({ script, file: cacheFile(folder, script, role) }));
    for (const { script, file } of files) {
      const bytes = readFileSync(file);
      assert.ok(bytes.length > 16, `${file} holds compiled code`);
      assert.deepEqual(bytes.subarray(0, 16), currentStamp(script), `${file} names the script as it is now`);
    }
    // A cache V8 accepted is not written again: the same files (same inodes) stay after two more runs.
    const inodes = files.map(({ file }) => statSync(file).ino);
    await runPool(folder, 'process');
    await runPool(folder);
    assert.deepEqual(files.map(({ file }) => statSync(file).ino), inodes);
  });

  it('is written again when V8 rejects it or it was made for another build of the script, and the run is right', async () => {
    const folder = freshFolder();
    await runPool(folder);
    const entry = cacheFile(folder, 'runtime', 'entry');
    const worker = cacheFile(folder, 'core', 'worker');
    const valid = readFileSync(worker);
    // The entry's: the right header over bytes that are not a V8 cache. The worker's: a valid cache made
    // for a script of another modification time.
    writeFileSync(entry, Buffer.concat([currentStamp('runtime'), Buffer.alloc(4096, 0x5a)]));
    const otherBuild = Buffer.from(valid);
    otherBuild.writeDoubleLE(valid.readDoubleLE(8) - 1000, 8);
    writeFileSync(worker, otherBuild);
    await runPool(folder);
    assert.deepEqual(readFileSync(entry).subarray(0, 16), currentStamp('runtime'));
    assert.notDeepEqual(readFileSync(entry).subarray(16, 4112), Buffer.alloc(4096, 0x5a), 'the rejected cache was written again');
    assert.deepEqual(readFileSync(worker).subarray(0, 16), currentStamp('core'), 'the stale cache was written again');
  });

  it('stays out of the way when its folder cannot be made, and is off with MULTIPROC_CODE_CACHE=0', async () => {
    const folder = freshFolder();
    const blocker = path.join(folder, 'a-file');
    writeFileSync(blocker, 'not a folder');
    await runPool(path.join(blocker, 'cache'), 'process');
    assert.deepEqual(readFileSync(blocker, 'utf8'), 'not a folder');
    const beside = path.join(path.dirname(scriptPath('core')), '.code-cache');
    rmSync(beside, { recursive: true, force: true });
    await runPool('0');
    assert.equal(existsSync(beside), false, 'nothing was written beside the script');
  });
});
