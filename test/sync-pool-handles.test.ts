// A shared handle passed to a pool call is referenced when the call is made: the caller may close its own
// handle right after apply() returns (as Python allows), even while the call still waits for a worker.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Pipe, Pool, taskRef, Value, type BackendName } from '../src/index.js';
import type * as Tasks from './fixtures/sync-pool-tasks.js';
import { fixture } from './helpers/spawn.js';
import { rejectsWithCode } from './helpers/codes.js';

const url = new URL(`file://${fixture('sync-pool-tasks.js')}`);
const sleep = taskRef<typeof Tasks.sleep>(url, 'sleep');
const sendOn = taskRef<typeof Tasks.sendOn>(url, 'sendOn');
const bump = taskRef<typeof Tasks.bump>(url, 'bump');

async function withPool(backend: BackendName, body: (pool: Pool) => Promise<void>): Promise<void> {
  const pool = new Pool({ workers: 1, backend });
  try {
    await body(pool);
  } finally {
    await pool.terminate();
  }
}

for (const backend of ['thread', 'process'] as const) {
  describe(`a handle argument closed by the caller right after apply() (${backend})`, { timeout: 60_000 }, () => {
    for (const busy of [false, true]) {
      const when = busy ? 'while the only worker is busy' : 'with a worker free';
      it(`a Pipe end still works in the worker, ${when}`, () => withPool(backend, async (pool) => {
        const first = busy ? pool.apply(sleep, [300]) : undefined;
        const [here, there] = Pipe<string>();
        try {
          const call = pool.apply(sendOn, [there, 'hello']);
          there.close();
          assert.equal(await call, 'sent');
          assert.equal(await here.recv({ timeout: 10_000 }), 'hello');
          await rejectsWithCode(here.recv({ timeout: 10_000 }), 'ERR_MP_PIPE_EOF');
          await first;
        } finally {
          here.close();
        }
      }));

      it(`a Value still works in the worker, and its name goes once the call settled, ${when}`, () => withPool(backend, async (pool) => {
        const first = busy ? pool.apply(sleep, [300]) : undefined;
        const value = new Value('i', 41);
        const name = value.segmentName;
        const call = pool.apply(bump, [value]);
        value.close();
        assert.equal(await call, 42);
        assert.equal(existsSync(`/dev/shm/${name}`), false, 'the closed creator\'s segment is removed after the call');
        await first;
      }));
    }

    it('calls without handles stay lazily encoded and batched (a burst of plain calls)', () => withPool(backend, async (pool) => {
      const results = await Promise.all(Array.from({ length: 500 }, (_, i) => pool.apply(sleep, [i % 2])));
      assert.equal(results.length, 500);
    }));
  });
}
