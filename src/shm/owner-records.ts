// Who created which segment: one small record per segment multiproc created, read by `multiproc shm ls|gc`
// and by the resource tracker, so a segment is only ever cleaned up on behalf of its own creator.
import path from 'node:path';
import type { SegmentLocation } from './location.js';

const { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } = process.getBuiltinModule('node:fs');

export interface OwnerRecord {
  name: string;
  shm: boolean;
  path: string;
  dir: string;
  size: number;
  pid: number;
  /** The creator's start time (from /proc), so a reused pid is not taken for the creator. */
  startTime: string | undefined;
  createdAt: string;
}

/** The folder of records; one per user, in the OS temporary folder. */
export function recordsDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return path.join(process.getBuiltinModule('node:os').tmpdir(), `multiproc-${uid}`, 'segments');
}

function recordFile(location: Pick<SegmentLocation, 'shm' | 'path'>): string {
  const key = process.getBuiltinModule('node:crypto').createHash('sha1').update(`${location.shm ? 'shm' : 'file'}:${location.path}`).digest('hex');
  return path.join(recordsDir(), `${key}.json`);
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot); undefined where there is no /proc. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function isProcessAlive(pid: number, startTime?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (startTime === undefined) return true;
  const now = processStartTime(pid);
  return now === undefined || now === startTime;
}

/** This process's start time, read on first use. */
let ownStartTime: { value: string | undefined } | undefined;
let recordsDirMade = false;

export function writeRecord(location: SegmentLocation, size: number): void {
  const record: OwnerRecord = {
    name: location.name, shm: location.shm, path: location.path, dir: location.dir, size,
    pid: process.pid, startTime: (ownStartTime ??= { value: processStartTime(process.pid) }).value, createdAt: new Date().toISOString(),
  };
  const write = (): void => writeFileSync(recordFile(location), JSON.stringify(record), { mode: 0o600 });
  if (recordsDirMade) {
    try {
      write();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  // First record of this process, or someone removed the folder meanwhile.
  mkdirSync(recordsDir(), { recursive: true, mode: 0o700 });
  recordsDirMade = true;
  write();
}

export function readRecord(location: Pick<SegmentLocation, 'shm' | 'path'>): OwnerRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordFile(location), 'utf8')) as OwnerRecord;
  } catch {
    return undefined;
  }
}

export function removeRecord(location: Pick<SegmentLocation, 'shm' | 'path'>): void {
  rmSync(recordFile(location), { force: true });
}

export function allRecords(): OwnerRecord[] {
  let files: string[];
  try {
    files = readdirSync(recordsDir());
  } catch {
    return [];
  }
  const records: OwnerRecord[] = [];
  for (const file of files) {
    if (!file.endsWith('.json')) continue;
    try {
      records.push(JSON.parse(readFileSync(path.join(recordsDir(), file), 'utf8')) as OwnerRecord);
    } catch {
      // a record being written or removed right now
    }
  }
  return records;
}
