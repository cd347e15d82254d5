import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { runNode } from './helpers/spawn.js';

// The command as installed: the package's bin (the bundle), which `npm start` runs too.
const { bin } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> };
const cli = fileURLToPath(new URL(bin['multiproc']!, new URL('../../', import.meta.url)));

describe('multiproc demo (npm start)', () => {
  it('has the main thread, a worker thread and Python read each other through one segment, then maps on both pools', async () => {
    const result = await runNode(cli, ['demo'], 60_000);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split('\n');
    for (const [who, slots] of [['main', [1, 2]], ['worker', [0, 2]], ['python', [0, 1]]] as const) {
      for (const slot of slots) {
        assert.ok(lines.some((line) => line.includes(`[${who}] read slot ${slot}: hello from`)), `${who} read slot ${slot}:\n${result.stdout}`);
      }
    }
    const name = /created shared memory '(psm_[0-9a-f]{8})'/.exec(result.stdout)?.[1];
    assert.ok(name !== undefined);
    assert.equal(existsSync(`/dev/shm/${name}`), false, 'the demo unlinks its segment');
    for (const backend of ['thread', 'process']) {
      const line = lines.find((text) => text.startsWith(`[pool:${backend}]`)) ?? '';
      assert.match(line, /^\[pool:\w+\] 78498 primes below 1,000,000 \(100 ranges, 2 workers\)/, result.stdout);
      assert.equal(line.match(/worker \d \(pid/g)?.length, 2, `two workers answered: ${line}`);
    }
    assert.match(result.stderr, /countPrimes 100% .* 100\/100/, 'the progress bar went to stderr');
  });
});
