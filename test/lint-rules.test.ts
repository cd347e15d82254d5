// The boundary rules of eslint.config.js, run through ESLint's Node API on code placed at virtual paths: each
// is reported where the boundary forbids it and not where it is allowed.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const root = fileURLToPath(new URL('../../', import.meta.url));
const boundaryRules = new Set(['no-restricted-imports', 'no-restricted-syntax']);

let eslint: ESLint;

before(() => {
  // The project's own config; the virtual files belong to no TypeScript project, so the rules that need
  // type information are switched off (the boundary rules need none).
  eslint = new ESLint({
    cwd: root,
    overrideConfigFile: `${root}eslint.config.js`,
    overrideConfig: tseslint.configs.disableTypeChecked as ESLint.Options['overrideConfig'],
  });
});

/** The boundary messages ESLint gives `code` placed at `filePath` (relative to the repository), with their lines. */
async function boundaryMessages(filePath: string, code: string): Promise<{ line: number; text: string }[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}`, warnIgnored: true });
  assert.ok(result !== undefined);
  const fatal = result.messages.filter((message) => message.fatal === true);
  assert.deepEqual(fatal, [], `${filePath} must parse`);
  return result.messages
    .filter((message) => boundaryRules.has(message.ruleId ?? ''))
    .map((message) => ({ line: message.line, text: `${message.ruleId}: ${message.message}` }));
}

/** Asserts that exactly `lines` (1-based) of `code` are reported, each message matching `mentions`. */
async function assertReported(filePath: string, code: string, lines: number[], mentions: RegExp): Promise<void> {
  const messages = await boundaryMessages(filePath, code);
  const shown = `${filePath}:\n${code}\n${messages.map((m) => `${m.line}: ${m.text}`).join('\n')}`;
  assert.deepEqual([...new Set(messages.map((m) => m.line))].sort((a, b) => a - b), lines, shown);
  for (const message of messages) assert.match(message.text, mentions, shown);
}

async function assertClean(filePath: string, code: string): Promise<void> {
  assert.deepEqual((await boundaryMessages(filePath, code)).map((m) => m.text), [], `${filePath}:\n${code}`);
}

const poolImports = [
  "import { Pool } from '../pool/pool.js';",
  "import type { PoolOptions } from '../pool/options.js';",
  "export { Engine } from '../pool/engine.js';",
  'export const load = () => import(\'../pool/pool.js\');',
].join('\n');

const threadAndProcessImports = [
  "import { spawn } from 'node:child_process';",
  "import { fork } from 'child_process';",
  "import { Worker } from 'node:worker_threads';",
  "import * as threads from 'worker_threads';",
  'export { spawn, fork, Worker, threads };',
].join('\n');

const threadAndProcessBuiltins = [
  "export const id = process.getBuiltinModule('node:worker_threads').threadId;",
  "export const spawn = process.getBuiltinModule('node:child_process').spawn;",
  "export const fork = process.getBuiltinModule('child_process').fork;",
].join('\n');

const addonLoads = [
  "import { createRequire } from 'node:module';",
  "declare const require: (id: string) => unknown;",
  "export const a = require('./build/Release/multiproc.node');",
  "export const b = createRequire(import.meta.url)('../build/Release/multiproc.node');",
  "export const c = process.getBuiltinModule('node:module').createRequire(import.meta.url)(process.env['ADDON'] ?? '');",
  "process.dlopen({ exports: {} }, process.env['ADDON'] ?? '');",
  "export const d = import('./multiproc.node');",
].join('\n');

describe('boundary lint rules', () => {
  it('reports src/worker/ importing src/pool/, by import, type import, re-export and import()', async () => {
    await assertReported('src/worker/x.ts', poolImports, [1, 2, 3, 4], /src\/worker\/ never imports src\/pool\//);
  });

  it('lets src/worker/ import src/wire/ and other folders import src/pool/', async () => {
    await assertClean('src/worker/x.ts', "import { FrameKind } from '../wire/protocol.js';\nexport { FrameKind };");
    await assertClean('src/process/x.ts', poolImports);
    await assertClean('src/cli/x.ts', poolImports);
  });

  it('reports worker_threads and child_process imported outside src/backends/', async () => {
    await assertReported('src/shm/x.ts', threadAndProcessImports, [1, 2, 3, 4], /only src\/backends\/ starts threads and processes/);
    await assertReported('src/worker/x.ts', threadAndProcessImports, [1, 2, 3, 4], /only src\/backends\//);
    await assertReported('src/native/x.ts', threadAndProcessImports, [1, 2, 3, 4], /only src\/backends\//);
    await assertReported('src/load-runtime-x.ts', threadAndProcessImports, [1, 2, 3, 4], /only src\/backends\//);
  });

  it('reports process.getBuiltinModule of worker_threads or child_process outside src/backends/', async () => {
    await assertReported('src/sync/x.ts', threadAndProcessBuiltins, [1, 2, 3], /getBuiltinModule of worker_threads or child_process/);
    await assertReported('src/cli/x.ts', threadAndProcessBuiltins, [1, 2, 3], /getBuiltinModule/);
  });

  it('lets src/backends/ reach worker_threads and child_process, and everyone else the other built-ins', async () => {
    await assertClean('src/backends/x.ts', threadAndProcessImports);
    await assertClean('src/backends/x.ts', threadAndProcessBuiltins);
    await assertClean('src/sync/x.ts', "export const { readFileSync } = process.getBuiltinModule('node:fs');\nexport { cpus } from 'node:os';");
  });

  it('reports the addon loaded outside src/native/: require, createRequire called at once, process.dlopen, import()', async () => {
    await assertReported('src/queue/x.ts', addonLoads, [3, 4, 5, 6, 7], /only src\/native\/ loads the addon/);
    await assertReported('src/backends/x.ts', addonLoads, [3, 4, 5, 6, 7], /only src\/native\/ loads the addon/);
  });

  it('lets src/native/ load the addon, and src/backends/ keep a createRequire for resolving', async () => {
    await assertClean('src/native/x.ts', addonLoads);
    await assertClean('src/backends/x.ts', "const { createRequire } = process.getBuiltinModule('node:module');\nexport const where = createRequire(import.meta.url).resolve('tsx');");
  });

  it('keeps the boundaries to src/: tests, benchmarks and scripts start processes and threads freely', async () => {
    await assertClean('test/x.ts', threadAndProcessImports);
    await assertClean('bench/x.ts', threadAndProcessBuiltins);
    await assertClean('scripts/x.mjs', "import { spawnSync } from 'node:child_process';\nspawnSync(process.execPath, ['-v']);");
  });

  it('lints scripts/*.mjs as plain JavaScript with Node globals', async () => {
    const [result] = await eslint.lintText("console.log(process.argv, undefinedName);\n", { filePath: `${root}scripts/x.mjs`, warnIgnored: true });
    assert.deepEqual(result?.messages.map((message) => [message.ruleId, message.message]), [['no-undef', "'undefinedName' is not defined."]]);
  });
});
