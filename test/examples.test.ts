import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runNode } from './helpers/spawn.js';

const example = (name: string): string => fileURLToPath(new URL(`../examples/${name}`, import.meta.url));

describe('examples', () => {
  it('counter-value: 4 processes, one Value and its lock, an exact total', async () => {
    const result = await runNode(example('counter-value.js'), [], 60_000);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /counter = 40000 \(expected 40000\): exact/);
  });

  it('frame-ring: frames through N slots with two semaphores, none damaged or out of order', async () => {
    const result = await runNode(example('frame-ring.js'), ['60', '3'], 60_000);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /60 frames of 1080x720x3 through 3 slots: \d+ frames\/s .*, 0 damaged or out of order/);
    assert.doesNotMatch(result.stderr, /exited without unlinking/);
  });
});
