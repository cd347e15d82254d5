// Fault runs on a Queue: producer and consumer processes SIGKILLed at seeded random moments, mid-put and
// mid-get, with items larger than the ring among them. Every message is counted by id afterwards.
// MULTIPROC_QUEUE_FAULT_KILLS=1000 runs a long version (node dist/test/queue-soak.js prints its figures).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Queue, SharedMemory } from '../src/index.js';
import { runChaos, type ChaosFigures } from './helpers/queue-chaos.js';

/** A pid that no longer exists (a child that ran and was reaped). */
async function deadPid(): Promise<number> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('close', resolve));
  return child.pid!;
}

const kills = Number(process.env['MULTIPROC_QUEUE_FAULT_KILLS'] ?? 24);

function assertClean(figures: ChaosFigures, wanted: number): void {
  const summary = JSON.stringify(figures);
  assert.equal(figures.lost, 0, `lost messages: ${summary}`);
  assert.equal(figures.duplicated, 0, `duplicated messages: ${summary}`);
  assert.equal(figures.inconsistent, 0, `unaccounted takes: ${summary}`);
  assert.equal(figures.corrupt, 0, `corrupt items: ${summary}`);
  assert.equal(figures.unusable, 0, `unusable queue: ${summary}`);
  assert.deepEqual(figures.childErrors, [], `agents failed: ${summary}`);
  assert.equal(figures.leakedSpills, 0, `spill segments left: ${summary}`);
  assert.equal(figures.kills, wanted, `kills missing: ${summary}`);
  assert.ok(figures.confirmed > 0, `nothing was sent: ${summary}`);
}

describe('Queue under SIGKILL', () => {
  it('takes over ring locks whose holder died and removes the spill its writer left unpublished', async () => {
    const dead = await deadPid();
    using queue = new Queue<string>(0, { bufferSize: 4096 });
    await queue.put('first');
    const i32 = (queue as unknown as { region: { i32: Int32Array } }).region.i32;
    const ring = 64 / 4 + 8;
    const spillName = `${queue.segmentName}.1`;
    SharedMemory.create(16, { name: spillName, dir: '/dev/shm', track: false }).close();
    Atomics.store(i32, ring + 12, 1); // the dead writer was spilling message 1
    Atomics.store(i32, ring + 11, 1);
    Atomics.store(i32, ring + 0, dead); // write lock
    Atomics.store(i32, ring + 1, dead); // read lock
    await queue.put('second', { timeout: 5000 });
    assert.equal(existsSync(`/dev/shm/${spillName}`), false);
    assert.equal(await queue.get({ timeout: 5000 }), 'first');
    assert.equal(queue.getSync({ timeout: 5000 }), 'second');
  });

  it('loses, duplicates and wedges nothing when consumers and producers are killed mid-operation', { timeout: 120_000 }, async () => {
    const figures = await runChaos({
      seed: 0x5eed, kills, total: 400_000, producers: 2, consumers: 2, bigEvery: 0, bigBytes: 0,
      bufferSize: 4096, maxsize: 16, pauseMs: 0, maxGapMs: 60, maxLifeMs: 400, deadlineMs: 90_000,
    });
    assertClean(figures, kills);
  });

  it('keeps 4 MiB items (larger than the ring) whole when their reader or writer is killed', { timeout: 120_000 }, async () => {
    const figures = await runChaos({
      seed: 0xb16, kills: Math.ceil(kills / 2), total: 100_000, producers: 2, consumers: 2, bigEvery: 4, bigBytes: 4 << 20,
      bufferSize: 65_536, maxsize: 8, pauseMs: 0, maxGapMs: 80, maxLifeMs: 600, deadlineMs: 90_000,
    });
    assertClean(figures, Math.ceil(kills / 2));
  });
});
