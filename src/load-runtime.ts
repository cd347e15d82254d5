// Loads the package's runtime script (runtime.cjs in the bundle: the package entry and the worker loop as
// one CommonJS script) through a V8 code cache kept beside it, as Python keeps compiled bytecode in
// __pycache__. Node 20 has no compile cache for ES modules: compiling the bundle costs about 8 ms in every
// process that imports multiproc and 4 ms more in every pool worker before its first task. From a cache,
// V8 reads it in about 1 ms, with the functions the run that wrote the cache compiled on the way.
//
// The cache is one file per role (the package entry, a pool worker), Node version and architecture:
// `<folder>/<role>-<version>-<arch>.v8`. A header holds the script's size and modification time, as a .pyc
// holds its source's (V8 itself checks only the length, and its own version and flags). A file that is
// missing, stale or rejected is written again when the thread exits, so that it holds the functions that
// ran, under a temporary name then renamed, so a reader never sees half of it. The folder is `.code-cache`
// beside the script, or the one MULTIPROC_CODE_CACHE names; `MULTIPROC_CODE_CACHE=0` turns the cache off.
// A folder that cannot be written is no error: the script is then compiled each time, as with no cache.

/** Which code a thread runs, so each cache holds the functions that thread kind compiles. */
export type RuntimeRole = 'entry' | 'worker';

type Runtime = Record<string, unknown>;

const headerBytes = 16;
let runtime: Runtime | undefined;

function cacheFolder(scriptPath: string): string | undefined {
  const setting = process.env['MULTIPROC_CODE_CACHE'];
  if (setting === '0') return undefined;
  if (setting !== undefined && setting !== '') return setting;
  return `${scriptPath.slice(0, scriptPath.lastIndexOf('/'))}/.code-cache`;
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
  const { threadId } = process.getBuiltinModule('node:worker_threads');
  const temporary = `${file}.${process.pid}-${threadId}.tmp`;
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

/** The script's `require`: it requires Node built-ins only (scripts/bundle.mjs checks). */
function requireBuiltin(id: string): unknown {
  const builtin: unknown = process.getBuiltinModule(id);
  if (builtin === undefined) throw new Error(`The multiproc runtime script asked for ${id}, which is not a Node built-in module`);
  return builtin;
}

/** The runtime script's exports, compiled once per thread (through the code cache when there is one). */
export function loadRuntime(role: RuntimeRole): Runtime {
  if (runtime !== undefined) return runtime;
  const fs = process.getBuiltinModule('node:fs');
  const scriptUrl = new URL('./runtime.cjs', import.meta.url);
  const scriptPath = process.getBuiltinModule('node:url').fileURLToPath(scriptUrl);
  // The script is ASCII (scripts/bundle.mjs checks): read as Latin-1, it is a one-byte string with no decoding.
  const source = fs.readFileSync(scriptPath, 'latin1');
  const folder = cacheFolder(scriptPath);
  const { size, mtimeMs } = fs.statSync(scriptPath);
  const stamp = header(size, mtimeMs);
  const file = folder === undefined ? undefined : `${folder}/${role}-${process.version}-${process.arch}.v8`;
  const cachedData = file === undefined ? undefined : readCache(file, stamp);
  // One line with the script's first, so that its stack traces keep their line numbers.
  const wrapped = `(function (exports, require, module, __filename, __dirname, __multiprocImportMetaUrl, __multiprocImport) {"use strict";${source}\n})`;
  const script = new (process.getBuiltinModule('node:vm').Script)(wrapped, { filename: scriptPath, ...(cachedData === undefined ? {} : { cachedData }) });
  if (folder !== undefined && file !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
    process.once('exit', () => writeCache(folder, file, stamp, script.createCachedData()));
  }
  const module = { exports: {} as Runtime };
  (script.runInThisContext() as (...args: unknown[]) => void)(
    module.exports, requireBuiltin, module, scriptPath, scriptPath.slice(0, scriptPath.lastIndexOf('/')), scriptUrl.href, importModule,
  );
  runtime = module.exports;
  return runtime;
}
