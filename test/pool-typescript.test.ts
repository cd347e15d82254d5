// Task modules in TypeScript: a parent running through tsx gives its workers (threads and processes) the loader.
import assert from 'node:assert/strict';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { finish } from './helpers/spawn.js';
import { spawn } from 'node:child_process';

const main = fileURLToPath(new URL('../../test/tsx/main.ts', import.meta.url));
const library = pathToFileURL(fileURLToPath(new URL('../src/index.js', import.meta.url))).href;

describe('TypeScript task modules through a loader', () => {
  for (const backend of ['thread', 'process'] as const) {
    it(`workers inherit tsx (${backend})`, async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', main, library, backend], { stdio: ['ignore', 'pipe', 'pipe'] });
      const result = await finish(child, 60_000);
      assert.equal(result.code, 0, result.stderr);
      const output = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { norms: number[]; flags: string[] };
      assert.deepEqual(output.norms, [5, 10]);
      assert.ok(output.flags.includes('tsx'), `worker execArgv: ${output.flags.join(' ')}`);
    });
  }
});
