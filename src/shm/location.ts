// Segment names (Python's rules) and where a named segment lives: POSIX shm_open, or a file in a chosen folder.
import path from 'node:path';
import { expected } from '../errors.js';

const { statSync } = process.getBuiltinModule('node:fs');

/** Environment variable naming a folder to hold segments instead of /dev/shm (e.g. under Docker). */
export const shmDirEnv = 'MULTIPROC_SHM_DIR';
/** Where POSIX shared memory lives on Linux. */
export const posixShmDir = '/dev/shm';
/** The largest segment a SharedArrayBuffer view can cover on this Node. */
export const maxSegmentSize = process.getBuiltinModule('node:buffer').constants.MAX_LENGTH;
const maxNameBytes = 255;

export interface SegmentLocation {
  /** The name as users see it (no leading slash), as Python's `.name`. */
  name: string;
  /** True: shm_open with `/name`; false: a plain file at `path` in a chosen folder. */
  shm: boolean;
  /** `/name` for shm_open, or the file's absolute path. */
  path: string;
  /** The folder listing shows it in: /dev/shm or the chosen folder. */
  dir: string;
}

/** A Python-style automatic name: `psm_` and 8 lower-case hex digits. */
export function randomName(): string {
  return `psm_${Buffer.from(crypto.getRandomValues(new Uint8Array(4))).toString('hex')}`;
}

export function validateName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new TypeError(expected('name', 'a string', name));
  if (name.length === 0) throw new RangeError(expected('name', 'a non-empty string', name));
  if (name.includes('/')) throw new RangeError(expected('name', "a single path component without '/'", name));
  if (name === '.' || name === '..') throw new RangeError(expected('name', "a name other than '.' or '..'", name));
  if (!/^[\x21-\x7e ]+$/.test(name) || name.includes(':')) {
    throw new RangeError(expected('name', "printable ASCII without ':' (Python's resource tracker cannot carry other names)", name));
  }
  if (name.length > maxNameBytes) throw new RangeError(expected('name', `at most ${maxNameBytes} characters long`, name));
}

export function validateSize(size: unknown): asserts size is number {
  if (typeof size !== 'number') throw new TypeError(expected('size', 'a number of bytes', size));
  if (!Number.isInteger(size)) throw new RangeError(expected('size', 'a whole number of bytes', size));
  if (size <= 0) throw new RangeError(expected('size', 'a positive number of bytes', size));
  if (size > maxSegmentSize) throw new RangeError(expected('size', `at most ${maxSegmentSize} bytes (the largest buffer this Node can view)`, size));
}

/** The folder for segments: the `dir` option, else $MULTIPROC_SHM_DIR, else POSIX shared memory. */
export function resolveDir(dir: string | undefined): string | undefined {
  const chosen = dir ?? (process.env[shmDirEnv] === '' ? undefined : process.env[shmDirEnv]);
  if (chosen === undefined) return undefined;
  if (typeof chosen !== 'string' || chosen.length === 0) throw new TypeError(expected('dir', 'a folder path', chosen));
  const absolute = path.resolve(chosen);
  let isDir = false;
  try {
    isDir = statSync(absolute).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new RangeError(expected('dir', 'an existing folder', chosen));
  return absolute;
}

export function locate(name: string, dir: string | undefined): SegmentLocation {
  validateName(name);
  const folder = resolveDir(dir);
  if (folder === undefined) return { name, shm: true, path: `/${name}`, dir: posixShmDir };
  return { name, shm: false, path: path.join(folder, name), dir: folder };
}
