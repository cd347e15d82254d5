// A program that is its own task module: a pool started at its top level must fail fast in the workers
// (ERR_MP_POOL_IN_BOOTSTRAP) instead of starting pools inside pools without end; the main guard works.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { finish, fixture, startNode } from './helpers/spawn.js';

async function runLogged(script: string, backend: string): Promise<{ stdout: string; stderr: string; code: number | null; log: string[]; ms: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mp-bootstrap-'));
  const logFile = path.join(dir, 'log');
  try {
    const started = Date.now();
    const result = await finish(startNode(fixture(script), [backend], { ...process.env, MP_POOL_LOG: logFile }), 30_000);
    const log = readFileSync(logFile, 'utf8').trim().split('\n');
    return { ...result, log, ms: Date.now() - started };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('a program that is its own task module', () => {
  for (const backend of ['thread', 'process'] as const) {
    it(`fails fast with ERR_MP_POOL_IN_BOOTSTRAP when it starts a ${backend} pool unguarded, and no worker starts one`, async () => {
      const { stdout, stderr, code, log, ms } = await runLogged('pool-self-tasks.js', backend);
      assert.equal(code, 0, stderr);
      const outcome = JSON.parse(stdout.trim().split('\n').at(-1)!) as { code?: string; name: string; message: string };
      assert.equal(outcome.code, 'ERR_MP_POOL_IN_BOOTSTRAP', JSON.stringify(outcome));
      assert.equal(outcome.name, 'PoolBootstrapError');
      assert.match(outcome.message, /if \(!currentWorker\(\)\)/);
      assert.ok(ms < 15_000, `took ${ms} ms`);
      const mainProgram = log[0]!.split(' ')[1]; // the first to evaluate the module
      assert.deepEqual(log.filter((line) => line.startsWith('pool ')), [`pool ${mainProgram}`], 'only the main program created a pool');
      // The main program, and each of the two workers once at most (a failed import is not run again).
      const evaluated = log.filter((line) => line.startsWith('evaluated '));
      assert.ok(evaluated.length >= 2 && evaluated.length <= 3, log.join('\n'));
    });

    it(`runs its tasks on a ${backend} pool when the pool is started under if (!currentWorker())`, async () => {
      const { stdout, stderr, code, log } = await runLogged('pool-self-tasks-guarded.js', backend);
      assert.equal(code, 0, stderr);
      assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1)!), [2, 4, 6, 8]);
      assert.equal(log.filter((line) => line.startsWith('pool ')).length, 1);
    });
  }
});
