// Running real Node and Python processes from tests, always with a time limit.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export const python = process.env['MULTIPROC_PYTHON'] ?? 'python3';

/** Absolute path of a compiled fixture: `fixture('shm-child.js')` -> dist/test/fixtures/shm-child.js */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/** Absolute path of a Python helper kept in the source tree: test/python/NAME. */
export function pythonScript(name: string): string {
  const path = fileURLToPath(new URL(`../../../test/python/${name}`, import.meta.url));
  if (!existsSync(path)) throw new Error(`no Python helper ${path}`);
  return path;
}

/** Collects a child's output; kills it and rejects if it runs past `timeout` ms. */
export async function finish(child: ChildProcess, timeout = 30_000): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeout);
  try {
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    if (timedOut) {
      throw new Error(`process timed out after ${timeout} ms\nstdout: ${stdout}\nstderr: ${stderr}`);
    }
    return { code, signal, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

export function startNode(script: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
}

export function runNode(script: string, args: string[] = [], timeout = 30_000): Promise<RunResult> {
  return finish(startNode(script, args), timeout);
}

export function startPython(script: string, args: string[] = []): ChildProcess {
  return spawn(python, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

export function runPython(script: string, args: string[] = [], timeout = 30_000): Promise<RunResult> {
  return finish(startPython(script, args), timeout);
}

/** Resolves with the first line a child prints on stdout (rejects on exit or after `timeout` ms). */
export function firstLine(child: ChildProcess, timeout = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no output within ${timeout} ms`)), timeout);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(buffered.slice(0, newline));
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited (${String(code)}) before printing a line`));
    });
  });
}

/** Polls `check` every 20 ms until it returns true; rejects after `timeout` ms. */
export async function waitUntil(check: () => boolean, timeout = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
