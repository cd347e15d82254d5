// The resource tracker sidecar: holds the read end of a pipe from one process and, when every write end
// closes (that process exited, however it died), unlinks the segments it created and never unlinked.
import { native } from '../native/binding.js';
import { readRecord, removeRecord } from './owner-records.js';

const ownerPid = Number(process.argv[2]);
const tracked = new Map<string, { shm: boolean; path: string }>();

// Ctrl-C in a terminal reaches the whole process group; cleanup must still happen after the owner exits.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});

let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buffered += chunk;
  let newline: number;
  while ((newline = buffered.indexOf('\n')) >= 0) {
    handle(buffered.slice(0, newline));
    buffered = buffered.slice(newline + 1);
  }
});
process.stdin.on('end', cleanup);
process.stdin.on('error', cleanup);

function handle(message: string): void {
  const first = message.indexOf(':');
  const second = message.indexOf(':', first + 1);
  if (first < 0 || second < 0) return;
  const command = message.slice(0, first);
  const kind = message.slice(first + 1, second);
  const segmentPath = message.slice(second + 1);
  const key = `${kind}:${segmentPath}`;
  if (command === 'REGISTER') tracked.set(key, { shm: kind === 'shm', path: segmentPath });
  else if (command === 'UNREGISTER') tracked.delete(key);
}

let cleanedUp = false;

function cleanup(): void {
  if (cleanedUp) return;
  cleanedUp = true;
  const unlinked: string[] = [];
  for (const segment of tracked.values()) {
    const record = readRecord(segment);
    // Someone else unlinked it (and perhaps re-created the name): not ours to remove any more.
    if (record === undefined || record.pid !== ownerPid) continue;
    try {
      native().unlink(segment.path, segment.shm);
      unlinked.push(segment.path);
    } catch {
      // already gone
    }
    removeRecord(segment);
  }
  if (unlinked.length > 0) {
    process.stderr.write(`multiproc resource tracker: process ${ownerPid} exited without unlinking ` +
      `${unlinked.length} shared memory segment(s); unlinked: ${unlinked.join(', ')}\n`);
  }
  process.exit(0);
}
