// Bundles the compiled package (dist/src) into dist/pkg, the folder the package exports:
// - core.cjs (what a pool worker runs) and runtime.cjs (the rest of the package entry, sharing core's
//   modules): CommonJS-style scripts that load-runtime.js compiles through a V8 code cache
//   (src/load-runtime.ts says why);
// - index.js, the package entry, and worker-entry.js, every pool worker's entry: small ES modules over them;
// - the CLI and the files that run on their own, each as a single ES module.
// Every output is named by its base name in one folder, where src/runtime-files.ts finds them.
// Why bundle at all: Node 20 pays about 0.5 ms per ES module, so importing the ~90 compiled files costs
// ~40 ms and every pool worker ~20 ms more.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist', 'src');
const outdir = path.join(root, 'dist', 'pkg');
const { runtimeFiles } = await import(pathToFileURL(path.join(compiled, 'runtime-files.js')).href);
const { runtimeParameters } = await import(pathToFileURL(path.join(compiled, 'load-runtime.js')).href);

const entry = (file) => ({ in: path.join(compiled, file), out: path.basename(file, '.js') });
const ofKind = (kind) => Object.keys(runtimeFiles).filter((file) => runtimeFiles[file] === kind);
const [workerEntry, ...others] = ofKind('runtime');
if (workerEntry === undefined || others.length > 0) throw new Error('src/runtime-files.ts must name exactly one runtime file, the worker entry');
const standalone = [entry('cli/main.js'), entry('load-runtime.js'), ...ofKind('standalone').map(entry)];

const names = ['index', 'core', 'runtime', path.basename(workerEntry, '.js'), ...standalone.map((e) => e.out)];
const clash = names.find((name, i) => names.indexOf(name) !== i);
if (clash !== undefined) throw new Error(`two bundle outputs are named ${clash}.js: runtime files need unique base names`);

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // The codec names classes and functions by their `name`; renaming to avoid clashes must not change it.
  keepNames: true,
  define: { MULTIPROC_BUNDLE: 'true' },
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
};

rmSync(outdir, { recursive: true, force: true });

// The names the package entry exports, read from an ES build of it that is not written.
const probe = await build({ ...common, sourcemap: false, format: 'esm', entryPoints: [path.join(compiled, 'index.js')], outdir, write: false, metafile: true });
const exported = Object.values(probe.metafile.outputs).find((output) => output.entryPoint !== undefined).exports;
if (exported.includes('default')) throw new Error('the package entry must have no default export');

// The runtime scripts: one function expression each, which load-runtime.js compiles as read and calls with
// these parameters. load-runtime.js passes the script's own file URL and an importer (a script's `import()`
// would need a vm callback, which Node 20 drops for a script compiled from a cache).
const script = (name, options) => build({
  ...common,
  ...options,
  format: 'cjs',
  outfile: path.join(outdir, `${name}.cjs`),
  banner: { js: `// multiproc's ${name} script: compiled and called by load-runtime.js (src/load-runtime.ts).\n(function (${runtimeParameters.join(', ')}) {\n"use strict";` },
  footer: { js: '})' },
  define: { ...common.define, 'import.meta.url': '__multiprocImportMetaUrl', MULTIPROC_IMPORT: '__multiprocImport' },
});

// core.cjs: what a pool worker runs, with every module it holds exported by its path under dist/src.
const workerProbe = await build({ ...common, sourcemap: false, format: 'esm', entryPoints: [path.join(compiled, 'backends/serve-worker.js')], outdir, write: false, metafile: true });
const coreModules = Object.keys(workerProbe.metafile.inputs).map((input) => path.relative(compiled, path.resolve(root, input)).split(path.sep).join('/'));
await script('core', {
  stdin: {
    contents: "export { serveWorker } from './backends/serve-worker.js';\n" +
      coreModules.map((module, i) => `import * as m${i} from './${module}';\n`).join('') +
      `export const modules = {\n${coreModules.map((module, i) => `  ${JSON.stringify(module)}: m${i},\n`).join('')}};\n`,
    resolveDir: compiled,
    sourcefile: 'core.js',
  },
});

// runtime.cjs: the package entry, whose imports of core's modules become core's own (the parameter
// __multiprocCore), so both scripts share one instance of each module in a thread.
const fromCore = {
  name: 'multiproc-core',
  setup(builder) {
    const inCore = new Set(coreModules);
    builder.onResolve({ filter: /^\.\.?\// }, (args) => {
      const module = path.relative(compiled, path.resolve(args.resolveDir, args.path)).split(path.sep).join('/');
      return inCore.has(module) ? { path: module, namespace: 'multiproc-core' } : undefined;
    });
    builder.onLoad({ filter: /.*/, namespace: 'multiproc-core' }, (args) => ({ contents: `module.exports = __multiprocCore[${JSON.stringify(args.path)}];`, loader: 'js' }));
  },
};
await script('runtime', {
  stdin: { contents: "export * from './index.js';\n", resolveDir: compiled, sourcefile: 'runtime.js' },
  plugins: [fromCore],
});

// load-runtime.js reads the scripts as Latin-1, which only ASCII text survives unchanged (esbuild escapes
// anything else by default), and gives them a `require` for Node built-ins only.
for (const name of ['core', 'runtime']) {
  const text = readFileSync(path.join(outdir, `${name}.cjs`), 'latin1');
  if (/[\u0080-\uffff]/.test(text)) throw new Error(`${name}.cjs is not ASCII`);
  const required = [...text.matchAll(/\brequire\("([^"]*)"\)/g)].map((match) => match[1]).filter((id) => !id.startsWith('node:'));
  if (required.length > 0) throw new Error(`${name}.cjs requires ${required.join(', ')}: it may require node: built-ins only`);
}
await build({ ...common, format: 'esm', outdir, entryPoints: standalone });

const banner = '// Generated by scripts/bundle.mjs: the package runtime lives in core.cjs and runtime.cjs (see load-runtime.js).\n';
writeFileSync(path.join(outdir, 'index.js'),
  `${banner}import { loadRuntime } from './load-runtime.js';\n\nexport const {\n${exported.map((name) => `  ${name},\n`).join('')}} = loadRuntime('entry');\n`);
writeFileSync(path.join(outdir, path.basename(workerEntry)),
  `${banner}import { loadCore } from './load-runtime.js';\n\nawait loadCore('worker').serveWorker();\n`);

// The dashboard's page is plain HTML, CSS and JS that tsc does not copy: it goes beside the compiled server
// (dist/src/dashboard/page/), where src/dashboard/assets.ts finds it from either layout.
cpSync(path.join(root, 'src', 'dashboard', 'page'), path.join(compiled, 'dashboard', 'page'), { recursive: true });

// The code caches, written now as a first run would write them (scripts/warm-code-cache.mjs).
spawnSync(process.execPath, [path.join(root, 'scripts', 'warm-code-cache.mjs')], { stdio: 'inherit' });
