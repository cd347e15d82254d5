// Room in the folder that holds segments: how much is free, and the error when segments about to be made
// will not fit.
import { SharedMemoryNoSpaceError } from './errors.js';
import { posixShmDir, resolveDir, shmDirEnv } from './location.js';

const { statfsSync } = process.getBuiltinModule('node:fs');

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

export interface FolderSpace {
  /** Bytes this user may still allocate there. */
  free: number;
  total: number;
  /** Allocation unit: a segment takes whole blocks. */
  block: number;
}

/** The folder's space; undefined where it cannot be read (there is no /dev/shm folder on macOS). */
export function folderSpace(dir: string): FolderSpace | undefined {
  try {
    const stats = statfsSync(dir);
    return { free: stats.bavail * stats.bsize, total: stats.blocks * stats.bsize, block: stats.bsize };
  } catch {
    return undefined;
  }
}

/** What to do about a full segment folder; `dir` names the per-call option where there is one. */
export function noSpaceRemedy(option: string | undefined): string {
  return `Docker's default /dev/shm is only 64 MiB: raise it (docker run --shm-size=2g), or keep segments in a folder ` +
    `on a larger filesystem with ${option === undefined ? '' : `the \`${option}\` option or `}$${shmDirEnv}.`;
}

/**
 * Throws `ERR_MP_SHM_NO_SPACE` unless `count` segments of `size` bytes fit in the segment folder now
 * ($MULTIPROC_SHM_DIR, else /dev/shm), so a set of segments fails before the first is made rather than midway.
 * Segments are reserved whole when made (posix_fallocate), so free space is what counts. Where the folder's
 * space cannot be read, each segment still reports ENOSPC as it is made.
 */
export function ensureRoom(count: number, size: number, what: string): void {
  const dir = resolveDir(undefined) ?? posixShmDir;
  const space = folderSpace(dir);
  if (space === undefined || space.block <= 0) return;
  const need = count * Math.ceil(size / space.block) * space.block;
  if (need <= space.free) return;
  throw new SharedMemoryNoSpaceError(`Not enough space in ${dir} for ${what} (${count} x ${formatBytes(size)} = ${formatBytes(need)}; ` +
    `${formatBytes(space.free)} free of ${formatBytes(space.total)}). ${noSpaceRemedy(undefined)}`, { path: dir });
}
