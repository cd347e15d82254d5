// Listing and cleaning segments from outside their processes: what `multiproc shm ls|rm|gc` runs.
import path from 'node:path';
import { checkObject, expected } from '../errors.js';
import { native } from '../native/binding.js';
import { locate, posixShmDir } from './location.js';
import { allRecords, isProcessAlive, readRecord, removeRecord, type OwnerRecord } from './owner-records.js';

const { readdirSync, statSync } = process.getBuiltinModule('node:fs');

export interface SegmentInfo {
  name: string;
  dir: string;
  /** Bytes now in the file; undefined when the segment is gone (a stale record). */
  size: number | undefined;
  /** The creating process, for segments multiproc created. */
  pid: number | undefined;
  /** Whether the creating process is still running (undefined when unknown). */
  alive: boolean | undefined;
}

function sizeOf(file: string): number | undefined {
  try {
    const stats = statSync(file);
    return stats.isFile() ? stats.size : undefined;
  } catch {
    return undefined;
  }
}

function fileOf(record: Pick<OwnerRecord, 'shm' | 'path'>): string {
  return record.shm ? path.join(posixShmDir, record.path.slice(1)) : record.path;
}

/** Every segment in /dev/shm (or `dir`), plus every segment multiproc created elsewhere. */
export function listSegments(options: { dir?: string } = {}): SegmentInfo[] {
  checkObject('options', options);
  if (options.dir !== undefined && typeof options.dir !== 'string') throw new TypeError(expected('dir', 'a folder path', options.dir));
  const folder = options.dir === undefined ? posixShmDir : path.resolve(options.dir);
  const byFile = new Map<string, SegmentInfo>();
  let names: string[] = [];
  try {
    names = readdirSync(folder);
  } catch {
    // no such folder on this system
  }
  for (const name of names) {
    const size = sizeOf(path.join(folder, name));
    if (size !== undefined) byFile.set(path.join(folder, name), { name, dir: folder, size, pid: undefined, alive: undefined });
  }
  for (const record of allRecords()) {
    const file = fileOf(record);
    const info = byFile.get(file) ?? { name: record.name, dir: record.dir, size: sizeOf(file), pid: undefined, alive: undefined };
    info.pid = record.pid;
    info.alive = isProcessAlive(record.pid, record.startTime);
    byFile.set(file, info);
  }
  return [...byFile.values()].sort((a, b) => a.dir.localeCompare(b.dir) || a.name.localeCompare(b.name));
}

/** Unlinks one segment by name (and forgets its record). Throws ENOENT-style errors from the OS. */
export function removeSegment(name: string, options: { dir?: string } = {}): void {
  checkObject('options', options);
  const location = locate(name, options.dir);
  try {
    native().unlink(location.path, location.shm);
  } finally {
    removeRecord(location);
  }
}

/** Unlinks every segment multiproc created whose creator is no longer running; forgets stale records. */
export function collectGarbage(): SegmentInfo[] {
  const removed: SegmentInfo[] = [];
  for (const record of allRecords()) {
    if (isProcessAlive(record.pid, record.startTime)) continue;
    const size = sizeOf(fileOf(record));
    const current = readRecord(record);
    if (current?.pid === record.pid && size !== undefined) {
      try {
        native().unlink(record.path, record.shm);
        removed.push({ name: record.name, dir: record.dir, size, pid: record.pid, alive: false });
      } catch {
        // gone meanwhile
      }
    }
    removeRecord(record);
  }
  return removed;
}
