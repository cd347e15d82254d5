// Loads the package's runtime scripts through a V8 code cache kept beside them, as Python keeps compiled
// bytecode in __pycache__. The bundle holds the library as two CommonJS-style scripts: `core.cjs`, what a
// pool worker runs (the worker loop, the codec, the channel and what they import), and `runtime.cjs`, the
// rest of the package entry, which takes core's modules as its own. A worker loads core only; the package
// entry, in any thread, loads both, core first, so a task module importing `multiproc` in a worker shares
// the worker loop's codec registry, classes and state. Node 20 has no compile cache for ES modules:
// compiling the ~300 KB costs about 8 ms in every process that imports multiproc and 4 ms in every pool
// worker before its first task. From a cache, V8 reads them in about 1 ms, with the functions the run
// that wrote the cache compiled on the way.
//
// One cache file per script, role (the package entry, a pool worker: each compiles different functions),
// Node version and architecture: `<folder>/<script>-<role>-<version>-<arch>.v8`. A header holds the
// script's size and modification time, as a .pyc holds its source's (V8 itself checks only the length,
// and its own version and flags). A file that is missing, stale or rejected is written again when the
// thread exits, so that it holds the functions that ran, under a temporary name then renamed, so a reader
// never sees half of it. The folder is `.code-cache` beside the scripts, or the one MULTIPROC_CODE_CACHE
// names; `MULTIPROC_CODE_CACHE=0` turns the cache off. A folder that cannot be written is no error: the
// scripts are then compiled each time, as with no cache.

/** Which code a thread runs, so each cache holds the functions that thread kind compiles. */
export type ScriptRole = 'entry' | 'worker';

type Exports = Record<string, unknown>;

/**
 * Each runtime script is one function expression taking these (scripts/bundle.mjs writes them so): the
 * CommonJS five, the script's own file URL for `import.meta.url`, an importer for `import()`, and (for
 * runtime.cjs) core's module namespaces by path. They come wrapped from the build, so the loader compiles
 * each file's text as read, with no second copy of it.
 */
export const runtimeParameters = [
  'exports', 'require', 'module', '__filename', '__dirname', '__multiprocImportMetaUrl', '__multiprocImport', '__multiprocCore',
] as const;

/** What core.cjs exports: the worker's entry function, and every module it holds, by path under src/. */
export interface Core {
  serveWorker(): Promise<void>;
  modules: Record<string, Exports>;
}

const headerBytes = 16;
let core: Core | undefined;
let runtime: Exports | undefined;

function cacheFolder(scriptFolder: string): string | undefined {
  const setting = process.env['MULTIPROC_CODE_CACHE'];
  if (setting === '0') return undefined;
  if (setting !== undefined && setting !== '') return setting;
  return process.getBuiltinModule('node:path').join(scriptFolder, '.code-cache');
}

function header(size: number, mtimeMs: number): Buffer {
  const bytes = Buffer.alloc(headerBytes);
  bytes.writeDoubleLE(size, 0);
  bytes.writeDoubleLE(mtimeMs, 8);
  return bytes;
}

/** The cached data for the script as it is now, or undefined when there is none that matches it. */
function readCache(file: string, stamp: Buffer): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = process.getBuiltinModule('node:fs').readFileSync(file);
  } catch {
    return undefined;
  }
  return bytes.length > headerBytes && bytes.subarray(0, headerBytes).equals(stamp) ? bytes.subarray(headerBytes) : undefined;
}

function writeCache(folder: string, file: string, stamp: Buffer, data: Buffer): void {
  const fs = process.getBuiltinModule('node:fs');
  // A name no other thread or process writing the same cache picks, so each rename moves a whole file.
  const temporary = `${file}.${process.getBuiltinModule('node:crypto').randomUUID()}.tmp`;
  try {
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(temporary, Buffer.concat([stamp, data]));
    fs.renameSync(temporary, file);
  } catch {
    // A read-only or full file system: the next run compiles again, as it would with no cache.
    try {
      fs.unlinkSync(temporary);
    } catch {
      // Never created.
    }
  }
}

const importModule = (url: string): Promise<unknown> => import(url);

/** The scripts' `require`: they require Node built-ins only (scripts/bundle.mjs checks). */
function requireBuiltin(id: string): unknown {
  const builtin: unknown = process.getBuiltinModule(id);
  if (builtin === undefined) throw new Error(`The multiproc runtime script asked for ${id}, which is not a Node built-in module`);
  return builtin;
}

/** Compiles one runtime script (through the code cache when there is one), runs it, and returns its exports. */
function runScript(name: 'core' | 'runtime', role: ScriptRole, coreModules: Core['modules'] | undefined): Exports {
  const fs = process.getBuiltinModule('node:fs');
  const path = process.getBuiltinModule('node:path');
  const scriptUrl = new URL(`./${name}.cjs`, import.meta.url);
  const scriptPath = process.getBuiltinModule('node:url').fileURLToPath(scriptUrl);
  // The script is ASCII (scripts/bundle.mjs checks): read as Latin-1, it is a one-byte string with no decoding.
  const source = fs.readFileSync(scriptPath, 'latin1');
  const scriptFolder = path.dirname(scriptPath);
  const folder = cacheFolder(scriptFolder);
  const { size, mtimeMs } = fs.statSync(scriptPath);
  const stamp = header(size, mtimeMs);
  const file = folder === undefined ? undefined : path.join(folder, `${name}-${role}-${process.version}-${process.arch}.v8`);
  const cachedData = file === undefined ? undefined : readCache(file, stamp);
  const script = new (process.getBuiltinModule('node:vm').Script)(source, { filename: scriptPath, ...(cachedData === undefined ? {} : { cachedData }) });
  if (folder !== undefined && file !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
    process.once('exit', () => writeCache(folder, file, stamp, script.createCachedData()));
  }
  const module = { exports: {} as Exports };
  (script.runInThisContext() as (...args: unknown[]) => void)(
    module.exports, requireBuiltin, module, scriptPath, scriptFolder, scriptUrl.href, importModule, coreModules,
  );
  return module.exports;
}

/** What a pool worker runs, compiled once per thread. */
export function loadCore(role: ScriptRole): Core {
  core ??= runScript('core', role, undefined) as unknown as Core;
  return core;
}

/** The package entry's exports, compiled once per thread, over this thread's core. */
export function loadRuntime(role: ScriptRole): Exports {
  runtime ??= runScript('runtime', role, loadCore(role).modules);
  return runtime;
}
