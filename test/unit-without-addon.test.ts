// test/unit/ holds the pure modules' tests: they must pass in a process where the native addon cannot load.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { finish, fixture } from './helpers/spawn.js';

const unitDir = fileURLToPath(new URL('./unit/', import.meta.url));
const binding = new URL('../src/native/binding.js', import.meta.url).href;
const hook = fixture('no-native-addon.js');

function runWithoutAddon(args: string[], timeout: number): ReturnType<typeof finish> {
  // Without NODE_TEST_CONTEXT the child's runner reports for itself instead of to this test's runner.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  return finish(spawn(process.execPath, ['--import', hook, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env }), timeout);
}

describe('test/unit without the native addon', () => {
  it('the child cannot load the addon: it reports ERR_MP_NATIVE_UNAVAILABLE', async () => {
    const script = `const { native } = await import(${JSON.stringify(binding)});
      try { native(); console.log('loaded'); } catch (error) { console.log(error.code); }`;
    const result = await runWithoutAddon(['--input-type=module', '-e', script], 30_000);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'ERR_MP_NATIVE_UNAVAILABLE');
  });

  it('every unit test file passes', async () => {
    const files = readdirSync(unitDir).filter((name) => name.endsWith('.test.js')).sort().map((name) => unitDir + name);
    assert.ok(files.length >= 5, `unit test files: ${files.join(', ')}`);
    const result = await runWithoutAddon(['--test', '--test-reporter=tap', '--test-concurrency=1', ...files], 110_000);
    const count = (name: string): number => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(result.stdout)?.[1] ?? NaN);
    assert.equal(result.code, 0, `${result.stdout.split('\n').filter((line) => /^\s*not ok|ERR_MP_NATIVE|error:/.test(line)).join('\n')}\n${result.stderr}`);
    assert.equal(count('fail'), 0);
    assert.ok(count('pass') >= files.length, `passed: ${count('pass')}`);
  });
});
