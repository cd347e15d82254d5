// The one place that loads the native addon, with its typed interface and a clear error when it is missing.
import path from 'node:path';
import { MultiprocError } from '../errors.js';

const { existsSync, readFileSync } = process.getBuiltinModule('node:fs');

/** Result codes of futex waits. */
export const FutexResult = { Ok: 0, NotEqual: 1, TimedOut: 2 } as const;
export type FutexResult = (typeof FutexResult)[keyof typeof FutexResult];

export const OpenMode = { Attach: 0, Create: 1, CreateExclusive: 2 } as const;
export type OpenMode = (typeof OpenMode)[keyof typeof OpenMode];

/**
 * `Share`: one mapping per process for the segment: an attach in any thread of this process reuses a mapping
 * opened with `Share` (no mmap, no page faults), and the mapping is released at its last close.
 * `Reserved`: attaching skips `posix_fallocate`, for segments whose creator reserved every page.
 * `Unreported`: the mapping is not reported to V8 as external memory, for handles their owner always closes
 * explicitly (a collection could free nothing of them; the reports would only provoke collections).
 */
export const OpenFlags = { None: 0, Share: 1, Reserved: 2, Unreported: 4 } as const;

export interface OpenedSegment {
  buffer: SharedArrayBuffer;
  size: number;
  id: number;
  created: boolean;
}

/** Errors thrown by the addon have Node's system-error shape. */
export interface NativeSystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}

export interface NativeBinding {
  open(path: string, useShmOpen: boolean, mode: OpenMode, size: number, flags?: number): OpenedSegment;
  close(id: number): boolean;
  unlink(path: string, useShmOpen: boolean): void;
  /** Open handles (each `open` not yet closed) in this process. */
  mappedCount(): number;
  /** Mappings behind the open handles: handles that share one (`OpenFlags.Share`) count once. */
  regionCount(): number;
  futexWait(array: Int32Array, index: number, expected: number, timeoutMs: number): FutexResult;
  futexWake(array: Int32Array, index: number, count: number): number;
  futexWaitAsync(array: Int32Array, index: number, expected: number, timeoutMs: number): number;
  cancelWait(id: number): void;
  setWaitCallback(callback: (id: number, result: FutexResult) => void): void;
  waiterThreads(): number;
  getTrackerFd(): number;
  adoptTrackerFd(fd: number): number;
  resetTrackerFd(): void;
  setParentDeathSignal(expectedParentPid: number): boolean;
  watchParent(expectedParentPid: number, intervalMs: number): boolean;
  /** Linux: a listening Unix socket bound to the abstract `name` (leading NUL) at its exact length; the fd. */
  abstractListen?(name: string, backlog: number): number;
  /** Linux: a Unix socket connected to the abstract `name` at its exact length; the fd (non-blocking; EAGAIN while the listener's backlog is full). */
  abstractConnect?(name: string): number;
  /** Linux: a blocking socket connected to a Unix path or a TCP host and port within `timeoutMs` (negative: none); the fd. */
  blockingConnect?(this: void, unix: boolean, host: string, port: number, timeoutMs: number): number;
  /** Linux: a socket listening on a Unix path or a TCP host and port; [fd, bound port]. */
  blockingListen?(this: void, unix: boolean, host: string, port: number, backlog: number): [number, number];
  /** Linux: the next connection of a listening fd, or -1 when none came within `timeoutMs`. */
  blockingAccept?(this: void, fd: number, timeoutMs: number): number;
  /** Linux: bytes written (0 when the socket took nothing within `timeoutMs`); `more` holds them for what follows. */
  blockingSend?(this: void, fd: number, bytes: Uint8Array, offset: number, length: number, timeoutMs: number, more: boolean): number;
  /** Linux: bytes read (at least 1), 0 at the end of the stream, -1 when nothing came within `timeoutMs`. */
  blockingRecv?(this: void, fd: number, bytes: Uint8Array, offset: number, length: number, timeoutMs: number, spinNs: number): number;
  /** Linux: whether the fd is readable within `timeoutMs`. */
  blockingPoll?(this: void, fd: number, timeoutMs: number): boolean;
  blockingClose?(this: void, fd: number): void;
  loopSpinHold?(this: void, spinNs: number): void;
  loopSpinTouch?(this: void): void;
  loopSpinRelease?(this: void): void;
}

/** The addon is not available: it failed to build, or was built for another Node version. */
export class NativeAddonError extends MultiprocError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_MP_NATIVE_UNAVAILABLE', message, options);
  }
}

/** The package's root: the nearest folder above this file with binding.gyp (works from dist/ and src/). */
function packageRoot(): string {
  const here = process.getBuiltinModule('node:url').fileURLToPath(import.meta.url);
  let dir = path.dirname(here);
  while (!existsSync(path.join(dir, 'binding.gyp'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(path.dirname(here), '../../..');
    dir = parent;
  }
  return dir;
}

/** Where the addon and its build log are: looked up on first use (a pool of threads never loads the addon). */
function addonFiles(): { root: string; addonPath: string; buildLog: string } {
  const root = packageRoot();
  return { root, addonPath: path.join(root, 'build', 'Release', 'multiproc.node'), buildLog: path.join(root, 'build', 'native-build.log') };
}

let binding: NativeBinding | undefined;
let loadError: NativeAddonError | undefined;

function describeFailure(cause: unknown): NativeAddonError {
  const { root, addonPath, buildLog } = addonFiles();
  const lines = [`multiproc's native addon could not be loaded from ${addonPath}.`];
  if (existsSync(buildLog)) {
    const log = readFileSync(buildLog, 'utf8').trim().split('\n').slice(-12).join('\n    ');
    lines.push(`Its build failed; the end of ${buildLog}:\n    ${log}`);
  } else if (!existsSync(addonPath)) {
    lines.push('It was never built (was the install run with --ignore-scripts?).');
  } else {
    lines.push(`It exists but did not load (built for another Node version? this is Node ${process.version}).`);
  }
  lines.push(`Rebuild it with \`npm run build:native\` in ${root} (needs g++, make and Node's headers).`);
  lines.push('Shared memory, locks and futex need the addon; everything else keeps working without it.');
  return new NativeAddonError(lines.join('\n'), { cause });
}

/** Loads the addon on first use; throws `ERR_MP_NATIVE_UNAVAILABLE` with build advice when it cannot. */
export function native(): NativeBinding {
  if (binding !== undefined) return binding;
  if (loadError !== undefined) throw loadError;
  try {
    binding = process.getBuiltinModule('node:module').createRequire(import.meta.url)(addonFiles().addonPath) as NativeBinding;
    return binding;
  } catch (cause) {
    loadError = describeFailure(cause);
    throw loadError;
  }
}

/** Whether the addon loads, without throwing. */
export function nativeAvailable(): boolean {
  try {
    native();
    return true;
  } catch {
    return false;
  }
}

export function isNativeSystemError(error: unknown): error is NativeSystemError {
  return error instanceof Error && typeof (error as Partial<NativeSystemError>).syscall === 'string' &&
    typeof (error as Partial<NativeSystemError>).code === 'string';
}
