// Starts the child of a `Process`: a forked Node process or a worker thread running the worker entry in its
// Process mode (serve-worker.ts), given its start (run-process.ts).
import type { ChildProcess } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import { runtimeFileUrl } from '../runtime-files.js';
import { packetToBytes } from '../serialize/index.js';
import { processTargetFlag, type ProcessStart } from '../worker/run-process.js';
import type { BackendName } from './backend-worker.js';
import { processExecArgv } from './worker-exec-argv.js';

export interface ChildExit {
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A started child, as a `Process` sees it. */
export interface Child {
  readonly pid: number;
  /** Settles once, when the child is gone. */
  readonly exited: Promise<ChildExit>;
  /** SIGTERM or SIGKILL for a process; a thread is stopped either way. */
  signal(signal: 'SIGTERM' | 'SIGKILL'): void;
  /** Whether the child keeps this program alive. */
  ref(keep: boolean): void;
}

const entry = runtimeFileUrl('backends/worker-entry.js');

export function startChild(backend: BackendName, start: ProcessStart): Child {
  return backend === 'thread' ? startThread(start) : startProcess(start);
}

function startProcess(start: ProcessStart): Child {
  const { fork } = process.getBuiltinModule('node:child_process');
  const child: ChildProcess = fork(process.getBuiltinModule('node:url').fileURLToPath(entry), [String(process.pid), processTargetFlag], {
    execArgv: processExecArgv(undefined),
    serialization: 'advanced',
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  child.on('error', () => {});
  // Bytes: shared handles travel by segment name, and a process cannot take a SharedArrayBuffer.
  child.send({ ...start, packet: { data: packetToBytes(start.packet), buffers: [] } });
  const exited = new Promise<ChildExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    pid: child.pid ?? 0,
    exited,
    signal: (signal) => void child.kill(signal),
    ref: (keep) => (keep ? child.ref() : child.unref()),
  };
}

function startThread(start: ProcessStart): Child {
  const { Worker: WorkerClass } = process.getBuiltinModule('node:worker_threads');
  const worker: Worker = new WorkerClass(entry, { workerData: { processStart: start }, transferList: [...start.packet.buffers] });
  // What the target threw was printed by the child; an error of the thread itself must not reach the parent.
  worker.on('error', () => {});
  const exited = new Promise<ChildExit>((resolve) => worker.once('exit', (code) => resolve({ code, signal: null })));
  return {
    pid: process.pid,
    exited,
    signal: () => void worker.terminate(),
    ref: (keep) => (keep ? worker.ref() : worker.unref()),
  };
}
