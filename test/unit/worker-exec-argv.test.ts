// The flags a pool worker starts with: nothing that runs other code than the worker entry, everything else kept.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { processExecArgv, threadExecArgv, workerExecArgv } from '../../src/backends/worker-exec-argv.js';

describe('workerExecArgv', () => {
  it('drops eval and print with their code, in both spellings', () => {
    assert.deepEqual(workerExecArgv(['-e', 'new Pool()']), []);
    assert.deepEqual(workerExecArgv(['--eval', 'x', '--eval=y']), []);
    assert.deepEqual(workerExecArgv(['-p', '1 + 1']), []);
    assert.deepEqual(workerExecArgv(['--print', 'x', '--print=y', '-pe', 'z']), []);
    assert.deepEqual(workerExecArgv(['-p', '-e', 'code']), [], '-p without code of its own, then -e');
    assert.deepEqual(workerExecArgv(['-e', '-1', '--no-warnings']), ['--no-warnings'], "code starting with '-' is still -e's");
  });

  it('drops the input type, interactive, check, test, watch, snapshot and print-and-exit flags', () => {
    assert.deepEqual(workerExecArgv(['--input-type=module', '-e', 'x']), []);
    assert.deepEqual(workerExecArgv(['--input-type', 'commonjs']), []);
    assert.deepEqual(workerExecArgv(['-i', '--interactive', '-c', '--check']), []);
    assert.deepEqual(workerExecArgv(['--test', '--test-only', '--test-reporter', 'spec', '--test-reporter-destination=stdout',
      '--test-concurrency=1', '--test-timeout=120000', '--experimental-test-coverage']), []);
    assert.deepEqual(workerExecArgv(['--watch', '--watch-path', 'src', '--watch-preserve-output']), []);
    assert.deepEqual(workerExecArgv(['--build-snapshot', '--snapshot-blob', 'snap.blob', '--prof-process', '--v8-options', '--help', '-v']), []);
    assert.deepEqual(workerExecArgv(['--input_type=module']), [], "Node's underscore spelling");
  });

  it('drops every inspector flag unless asked to keep them', () => {
    const inspector = ['--inspect', '--inspect=9229', '--inspect-brk', '--inspect-brk=0.0.0.0:9230', '--inspect-wait',
      '--inspect-port', '9231', '--inspect-port=0', '--inspect-publish-uid=http', '--debug-port=9232'];
    assert.deepEqual(workerExecArgv(inspector), []);
    assert.deepEqual(workerExecArgv(['--inspect-brk=0', '--require', 'x'], { keepInspector: true }), ['--inspect-brk=0', '--require', 'x']);
  });

  it('keeps loaders, preloads, conditions, V8 and other Node options, with their values, in order', () => {
    const kept = ['--import', 'tsx', '--import=./setup.js', '--loader', 'ts-node/esm', '--experimental-loader=./hooks.mjs',
      '-r', 'dotenv/config', '--require=./trace.cjs', '--conditions', 'development', '-C', 'worker', '--conditions=x',
      '--max-old-space-size=4096', '--stack-size=2000', '--expose-gc', '--enable-source-maps', '--no-warnings',
      '--unhandled-rejections=strict', '--experimental-vm-modules', '--env-file=.env'];
    assert.deepEqual(workerExecArgv(kept), kept);
    assert.deepEqual(workerExecArgv(['--import', 'tsx', '-e', 'x', '--max-old-space-size=100', '--inspect', '-r', 'y']),
      ['--import', 'tsx', '--max-old-space-size=100', '-r', 'y']);
  });

  it('does not change the list it is given', () => {
    const argv = Object.freeze(['-e', 'x', '--no-warnings']);
    assert.deepEqual(workerExecArgv(argv), ['--no-warnings']);
    assert.deepEqual(argv, ['-e', 'x', '--no-warnings']);
  });
});

describe('processExecArgv and threadExecArgv', () => {
  it("filter the parent's flags, and a given list too, keeping the inspector flags a given list names", () => {
    assert.deepEqual(processExecArgv(undefined, ['-e', 'x', '--inspect', '--import', 'tsx']), ['--import', 'tsx']);
    assert.deepEqual(processExecArgv(['-e', 'x', '--inspect=0', '--expose-gc']), ['--inspect=0', '--expose-gc']);
    assert.deepEqual(threadExecArgv(['-p', 'x', '--inspect-brk=0', '--import=tsx']), ['--inspect-brk=0', '--import=tsx']);
  });

  it('let a thread inherit unless the parent has a flag a thread cannot start with', () => {
    // -e, -p and --inspect are ignored by a thread that inherits them: Node accepts any inherited list as is.
    assert.equal(threadExecArgv(undefined, ['-e', 'x', '--max-old-space-size=100', '--inspect']), undefined);
    assert.equal(threadExecArgv(undefined, []), undefined);
  });

  it("give a thread the parent's list without --input-type and without options of the whole process", () => {
    const known = new Set(['--import', '-r', '--conditions', '--max-old-space-size', '--title', '--no-warnings', '--expose-gc']);
    const parent = ['--input-type=module', '--import', 'tsx', '-r', 'x', '--max-old-space-size=100', '--title=app',
      '--stack-size=900', '--expose-gc', '--no-warnings', '--conditions', 'dev', '-e', 'code'];
    assert.deepEqual(threadExecArgv(undefined, parent, known), ['--import', 'tsx', '-r', 'x', '--no-warnings', '--conditions', 'dev']);
    assert.deepEqual(threadExecArgv(undefined, ['--input-type', 'module', '-e', 'code'], known), []);
  });
});
