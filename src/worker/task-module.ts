// Telling why a task cannot be run: its module is missing, fails to load, or lacks the export. Used off the
// hot path only: when an import fails or an export is missing, and once per `pool.load()`.
import { closestName } from './closest-name.js';
import { TaskModuleFailedError, TaskModuleNotFoundError, TaskNotFoundError } from './errors.js';

/** Files a loader such as tsx may serve for a `.js` (or extensionless) path that does not exist itself. */
function loaderCandidates(path: string): string[] {
  const match = /\.(m|c)?jsx?$/.exec(path);
  if (match === null) return ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.tsx'].map((extension) => path + extension);
  const stem = path.slice(0, match.index);
  const kind = match[1] ?? '';
  return kind === '' ? [`${stem}.ts`, `${stem}.tsx`] : [`${stem}.${kind}ts`];
}

/**
 * For a `file:` URL whose file is missing, the error to raise; undefined when it exists, when it is not a
 * file URL, or when a TypeScript file a loader may map it to exists (`./tasks.js` for `./tasks.ts` under tsx).
 */
export function missingTaskModule(moduleUrl: string): TaskModuleNotFoundError | undefined {
  if (!moduleUrl.startsWith('file:')) return undefined;
  const fs = process.getBuiltinModule('node:fs');
  let path: string;
  try {
    path = process.getBuiltinModule('node:url').fileURLToPath(moduleUrl);
  } catch {
    return undefined; // Not a local path (a host name, say): the import reports it.
  }
  try {
    fs.statSync(path);
    return undefined;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
    if (loaderCandidates(path).some((candidate) => fs.existsSync(candidate))) return undefined;
    return new TaskModuleNotFoundError(moduleUrl, error);
  }
}

function summary(error: unknown): string {
  if (!(error instanceof Error)) return `it threw ${typeof error === 'string' ? JSON.stringify(error) : String(error)}`;
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' && !error.name.includes(code) ? ` [${code}]` : ''}: ${error.message}`;
}

/** A SyntaxError V8 raised compiling a module: its stack holds Node's loader frames only, none of the module's code. */
function isParseError(error: unknown): boolean {
  if (!(error instanceof SyntaxError)) return false;
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return frames.every((line) => line.includes('node:internal'));
}

/** The worker's frames are the loader's, of no use to the caller: the stack that matters is the cause's. */
function withoutLoaderFrames<E extends Error>(error: E, moduleUrl: string): E {
  error.stack = `${error.name}: ${error.message}\n    at <worker importing ${moduleUrl}> (see cause for the original error)`;
  return error;
}

/** The error for a task module whose import failed with `error`. */
export function taskModuleImportError(moduleUrl: string, error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  // Its code is the diagnosis already: the module starts a pool at its top level.
  if (code === 'ERR_MP_POOL_IN_BOOTSTRAP') return error as Error;
  if (code === 'ERR_MODULE_NOT_FOUND') {
    // The module itself, not one it imports (that one is named in the original message).
    const missing = (error as { url?: unknown }).url;
    if (missing === moduleUrl || (missing === undefined && missingTaskModule(moduleUrl) !== undefined)) {
      return withoutLoaderFrames(new TaskModuleNotFoundError(moduleUrl, error), moduleUrl);
    }
  }
  let hint = '';
  if (isParseError(error)) {
    const path = moduleUrl.startsWith('file:') ? process.getBuiltinModule('node:url').fileURLToPath(moduleUrl) : moduleUrl;
    hint = ` (a syntax error in it or in a module it imports; Node does not say where: \`node --check ${path}\` checks that file)`;
  } else if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[mc]?tsx?$/.test(moduleUrl)) {
    hint = ' (TypeScript needs a loader: start the program with `node --import tsx`, and its workers inherit it)';
  } else if (code !== 'ERR_MODULE_NOT_FOUND') {
    hint = ' (the original error, with its stack, is the cause)';
  }
  return withoutLoaderFrames(new TaskModuleFailedError(moduleUrl, `Task module ${moduleUrl} failed to load: ${summary(error)}${hint}`, error), moduleUrl);
}

function isClass(value: unknown): boolean {
  return typeof value === 'function' && Function.prototype.toString.call(value).startsWith('class');
}

/** The error for a task module that loaded but has no function `name`. */
export function missingTask(moduleUrl: string, name: string, namespace: Record<string, unknown>): TaskNotFoundError {
  const exportedFunctions = Object.keys(namespace).filter((key) => typeof namespace[key] === 'function' && !isClass(namespace[key]));
  const found = Object.hasOwn(namespace, name) ? typeof namespace[name] : undefined;
  return new TaskNotFoundError(moduleUrl, name, { found, exportedFunctions, suggestion: closestName(name, exportedFunctions) });
}
