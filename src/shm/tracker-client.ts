// The creating side of the resource tracker: starts the sidecar once per process and tells it which
// segments this process created and which it unlinked.
import { spawnSidecar } from '../backends/spawn-sidecar.js';
import { native } from '../native/binding.js';
import { runtimeFileUrl } from '../runtime-files.js';
import type { SegmentLocation } from './location.js';

const { writeSync } = process.getBuiltinModule('node:fs');
const { fileURLToPath } = process.getBuiltinModule('node:url');

const trackerMain = fileURLToPath(runtimeFileUrl('shm/tracker-main.js'));
let warned = false;

/** Starts a tracker and hands its pipe to the addon, which keeps one write end for the whole process. */
function startTracker(): number {
  const sidecar = spawnSidecar(trackerMain, [String(process.pid)]);
  if (sidecar.fd < 0) {
    sidecar.kill();
    throw new Error('cannot reach the resource tracker pipe');
  }
  const adopted = native().adoptTrackerFd(sidecar.fd);
  // The addon holds its own duplicate; this one (and the child handle) must not keep the loop alive.
  sidecar.release();
  return adopted;
}

function send(line: string): void {
  const binding = native();
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd = binding.getTrackerFd();
    try {
      if (fd < 0) fd = startTracker();
      writeSync(fd, line);
      return;
    } catch (error) {
      // EPIPE: the tracker died; forget it and start another once.
      binding.resetTrackerFd();
      if (attempt === 1 && !warned) {
        warned = true;
        process.emitWarning(`multiproc: the shared-memory resource tracker is unavailable (${String(error)}); ` +
          'segments of a process that dies without unlinking them will stay until `multiproc shm gc`');
      }
    }
  }
}

function line(command: 'REGISTER' | 'UNREGISTER', location: SegmentLocation): string {
  return `${command}:${location.shm ? 'shm' : 'file'}:${location.path}\n`;
}

export function registerSegment(location: SegmentLocation): void {
  send(line('REGISTER', location));
}

export function unregisterSegment(location: SegmentLocation): void {
  send(line('UNREGISTER', location));
}
