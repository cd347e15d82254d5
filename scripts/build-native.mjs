// Builds the shared-memory addon with node-gyp against the headers that sit beside the running node,
// so no header download and no user npm setting is needed. A failed build does not fail the install:
// features that need no addon keep working, and the loader reports what failed (build/native-build.log).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const logFile = path.join(root, 'build', 'native-build.log');

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.resolve(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally; npm's bundled copy is the usual one
  }
  return candidates.find((candidate) => candidate !== undefined && existsSync(candidate));
}

function findNodeDir() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return existsSync(path.join(prefix, 'include', 'node', 'common.gypi')) ? prefix : undefined;
}

const nodeGyp = findNodeGyp();
const nodeDir = findNodeDir();
mkdirSync(path.dirname(logFile), { recursive: true });

if (nodeGyp === undefined) {
  writeFileSync(logFile, 'node-gyp was not found (neither npm_config_node_gyp nor npm\'s bundled copy).\n');
  console.warn(`multiproc: native addon not built: node-gyp not found. Shared memory needs it; see ${logFile}`);
  process.exit(0);
}

const args = [nodeGyp, 'rebuild', '--release'];
if (nodeDir !== undefined) args.push(`--nodedir=${nodeDir}`);
const started = Date.now();
const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: process.env });
const output = `$ ${process.execPath} ${args.join(' ')}\n${result.stdout ?? ''}${result.stderr ?? ''}`;
if (result.status === 0) {
  rmSync(logFile, { force: true });
  console.log(`multiproc: native addon built in ${Date.now() - started} ms`);
} else {
  writeFileSync(logFile, `${output}\nexit status: ${String(result.status)} ${result.error ? String(result.error) : ''}\n`);
  console.warn(`multiproc: native addon failed to build (shared memory, locks and futex need it).\n` +
    `  log: ${logFile}\n  rebuild: npm run build:native` +
    (nodeDir === undefined ? `\n  no Node headers next to ${process.execPath}: install them (e.g. the nodejs-dev package)` : ''));
}
