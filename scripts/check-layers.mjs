// The import picture of src/, checked: no import cycle between files, and no import from a folder to one
// above it in `layers` (docs/ARCHITECTURE.md draws the same order). Run by `npm run lint`;
// `node scripts/check-layers.mjs --graph` prints the folder graph instead.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src/', import.meta.url));

/**
 * Bottom first. A file may import from its own layer's folder or from a layer below, never above. A file
 * named by its path (`backends/spawn-sidecar.ts`) is placed apart from its folder, in a lower layer (so `shm`
 * may use it): it must import nothing from src/ at all, so whatever imports it gains no path upward.
 */
export const layers = [
  ['error-codes.ts', 'errors.ts', 'clock.ts', 'builtins.ts', 'import-module.ts', 'runtime-files.ts', 'load-runtime.ts'],
  ['native'],
  ['serialize', 'backends/spawn-sidecar.ts', 'backends/sync-call-thread.ts', 'backends/spawn-manager.ts', 'pickle'],
  ['shm'],
  ['sync'],
  ['sharedctypes', 'queue', 'store'],
  ['wire'],
  ['connection'],
  ['observe'],
  ['worker'],
  ['backends'],
  ['dashboard'],
  ['pool'],
  ['process'],
  ['managers'],
  ['cli', 'index.ts', 'main.ts', 'worker-entry.ts'],
];

const layerOf = new Map(layers.flatMap((names, level) => names.map((name) => [name, level])));

/** Files placed apart from their folder: the entries of `layers` that name a file inside a folder. */
const placedFiles = new Set(layers.flat().filter((name) => name.includes('/')));

/** The folder (or, for a file at the top of src/ or one placed apart, the file) a source file belongs to. */
function unitOf(file) {
  const relative = path.relative(src, file).split(path.sep).join('/');
  return placedFiles.has(relative) ? relative : relative.split('/')[0];
}

function sourceFiles(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

const importPattern = /(?:^|\n)\s*(import|export)(\s+type)?\s[^'";]*?from\s*'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g;

/**
 * Each file's relative imports, as absolute .ts paths, and which of them load code (`import type` does
 * not). Types count for the layers (a type is a dependency); only code counts for cycles, as two types
 * naming each other (a task and the worker slot holding it) load nothing.
 */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const all = [];
  const code = [];
  for (const match of text.matchAll(importPattern)) {
    const target = path.resolve(path.dirname(file), match[3] ?? match[4]).replace(/\.js$/, '.ts');
    all.push(target);
    if (match[2] === undefined) code.push(target);
  }
  return { all, code };
}

const files = sourceFiles(src);
const imports = new Map(files.map((file) => [file, importsOf(file)]));
const graph = new Map(files.map((file) => [file, imports.get(file).all]));
const codeGraph = new Map(files.map((file) => [file, imports.get(file).code]));
const problems = [];

const present = new Set(files.map((file) => path.relative(src, file).split(path.sep).join('/')));
for (const name of placedFiles) {
  if (!present.has(name)) problems.push(`${name}: placed in a layer of scripts/check-layers.mjs, but there is no such file`);
}

for (const [file, targets] of graph) {
  const from = unitOf(file);
  if (placedFiles.has(from)) {
    for (const target of targets) {
      problems.push(`${from} imports ${path.relative(src, target)}: a file placed apart from its folder must import nothing from src/`);
    }
    continue;
  }
  const fromLevel = layerOf.get(from);
  if (fromLevel === undefined) problems.push(`${path.relative(src, file)}: its folder \`${from}\` has no layer in scripts/check-layers.mjs`);
  for (const target of targets) {
    const to = unitOf(target);
    if (to === from) continue;
    const toLevel = layerOf.get(to);
    if (fromLevel !== undefined && toLevel !== undefined && toLevel > fromLevel) {
      problems.push(`${path.relative(src, file)} imports ${path.relative(src, target)}: \`${from}\` is below \`${to}\``);
    }
  }
}

// File cycles, by depth-first search; each cycle is reported once, from its first file.
const state = new Map();
const stack = [];
function visit(file) {
  state.set(file, 'open');
  stack.push(file);
  for (const target of codeGraph.get(file) ?? []) {
    if (!codeGraph.has(target)) continue;
    if (state.get(target) === 'open') {
      const cycle = stack.slice(stack.indexOf(target)).concat(target).map((entry) => path.relative(src, entry));
      problems.push(`import cycle: ${cycle.join(' -> ')}`);
    } else if (!state.has(target)) {
      visit(target);
    }
  }
  stack.pop();
  state.set(file, 'done');
}
for (const file of files) if (!state.has(file)) visit(file);

if (process.argv.includes('--graph')) {
  const edges = new Map();
  for (const [file, targets] of graph) {
    for (const target of targets) {
      const [from, to] = [unitOf(file), unitOf(target)];
      if (from !== to) edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
  }
  for (const [from, to] of [...edges].sort()) console.log(`${from} -> ${[...to].sort().join(', ')}`);
}

if (problems.length > 0) {
  console.error(`check-layers: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.error(`check-layers: ${files.length} files, no cycle, no import upward`);
