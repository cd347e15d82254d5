// A plain worker thread and a plain child process, outside any pool: what `npm start` (src/cli/demo.ts)
// starts to show one segment shared by a thread and a Python process, and what its thread reads of itself.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parentPort, threadId, Worker, workerData } from 'node:worker_threads';

/** Starts the thread module at `url` with `data`; each text it posts goes to `onMessage`. Settles at its exit. */
export function startPlainThread(url: URL, data: unknown, onMessage: (text: string) => void): Promise<void> {
  const worker = new Worker(url, { workerData: data });
  worker.on('message', onMessage);
  return new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with code ${code}`))));
  });
}

/**
 * Runs `command` with `args`, stdin closed, stderr ours; each line of its stdout goes to `onLine`. Settles at
 * its exit; `name` names it in the errors.
 */
export function startPlainProcess(name: string, command: string, args: readonly string[], onLine: (line: string) => void): Promise<void> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  createInterface({ input: child.stdout }).on('line', onLine);
  return new Promise<void>((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`cannot start ${command}: ${error.message}`)));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited with code ${String(code)}`))));
  });
}

/** Inside a thread started by startPlainThread: its id, the data it was given, and how it posts text back. */
export function plainThreadSelf(): { readonly threadId: number; readonly data: unknown; post(text: string): void } {
  return { threadId, data: workerData, post: (text) => parentPort?.postMessage(text) };
}
