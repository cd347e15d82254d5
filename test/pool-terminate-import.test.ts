// terminate() while a thread worker evaluates a task module: V8 aborts the whole process when an isolate is
// terminated inside the evaluation of a module with top-level await, so the pool lets the import finish (up to
// a bound) before it terminates the thread. The module's own marks show its evaluation ran to its end.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Pool } from '../src/pool/pool.js';

const moduleUrl = new URL('./fixtures/pool-slow-import.js', import.meta.url);

function marks(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').trim().split('\n');
  } catch {
    return [];
  }
}

describe('terminate() while a thread worker imports a task module', () => {
  it('lets the module evaluation end before the thread is terminated, and settles the call', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mp-import-'));
    const file = path.join(dir, 'marks');
    process.env['MP_IMPORT_MARK'] = file;
    const pool = new Pool({ workers: 1 });
    try {
      const call = pool.load<typeof import('./fixtures/pool-slow-import.js')>(moduleUrl).echo(1);
      call.catch(() => undefined);
      const deadline = Date.now() + 15_000;
      while (!marks(file).includes('started')) {
        if (Date.now() > deadline) throw new Error('the worker never started importing the task module');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.deepEqual(marks(file), ['started'], 'terminate() comes while the module is still evaluating');
      const started = Date.now();
      await pool.terminate();
      const took = Date.now() - started;
      assert.deepEqual(marks(file), ['started', 'finished'], 'the evaluation ran to its end before the thread was terminated');
      assert.ok(took < 5_000, `terminate() took ${took} ms`);
      await assert.rejects(call);
    } finally {
      delete process.env['MP_IMPORT_MARK'];
      await pool.terminate();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
