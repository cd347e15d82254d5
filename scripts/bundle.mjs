// Bundles the compiled package (dist/src) into dist/pkg, the folder the package exports: the package entry
// and the worker entries as one build sharing chunks (so a worker's task module and the worker loop share
// module instances), and the CLI and the files that run on their own as single files. Every output is named
// by its base name in one folder, where src/runtime-files.ts finds them.
// Why: Node 20 has no module compile cache and pays about 0.5 ms per ES module, so importing the ~90
// compiled files costs ~40 ms and every pool worker ~20 ms more; the bundle loads 4 files on either side.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist', 'src');
const outdir = path.join(root, 'dist', 'pkg');
const { runtimeFiles } = await import(pathToFileURL(path.join(compiled, 'runtime-files.js')).href);

const entry = (file) => ({ in: path.join(compiled, file), out: path.basename(file, '.js') });
const ofKind = (kind) => Object.keys(runtimeFiles).filter((file) => runtimeFiles[file] === kind).map(entry);
const shared = [entry('index.js'), ...ofKind('shared')];
const standalone = [entry('cli/main.js'), ...ofKind('standalone')];

const names = [...shared, ...standalone].map((e) => e.out);
const clash = names.find((name, i) => names.indexOf(name) !== i);
if (clash !== undefined) throw new Error(`two bundle outputs are named ${clash}.js: runtime files need unique base names`);

const common = {
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // The codec names classes and functions by their `name`; renaming to avoid clashes must not change it.
  keepNames: true,
  define: { MULTIPROC_BUNDLE: 'true' },
  sourcemap: 'linked',
  logLevel: 'warning',
};

rmSync(outdir, { recursive: true, force: true });
await build({ ...common, entryPoints: shared, splitting: true, chunkNames: 'chunk-[hash]' });
await build({ ...common, entryPoints: standalone });
