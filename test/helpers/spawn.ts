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

/** The lines a child prints on stdout, read from the first `firstLine` call on and kept until asked for. */
class LineReader {
  private buffered = '';
  private readonly lines: string[] = [];
  private readonly waiters: Array<{ resolve: (line: string) => void; reject: (error: Error) => void }> = [];
  private ended: string | undefined;

  constructor(child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer | string) => {
      this.buffered += chunk.toString();
      for (let newline = this.buffered.indexOf('\n'); newline >= 0; newline = this.buffered.indexOf('\n')) {
        this.lines.push(this.buffered.slice(0, newline));
        this.buffered = this.buffered.slice(newline + 1);
      }
      this.deliver();
    });
    child.once('exit', (code, signal) => {
      // The pipe may still hold lines printed before the exit: end only once stdout has been read.
      const end = (): void => {
        this.ended = `process exited (${String(code ?? signal)}) before printing a line`;
        this.deliver();
      };
      if (child.stdout === null || child.stdout.readableEnded || child.stdout.destroyed) end();
      else child.stdout.once('close', end);
    });
  }

  next(timeout: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no output within ${timeout} ms`));
      }, timeout);
      const waiter = {
        resolve: (line: string) => (clearTimeout(timer), resolve(line)),
        reject: (error: Error) => (clearTimeout(timer), reject(error)),
      };
      this.waiters.push(waiter);
      this.deliver();
    });
  }

  private deliver(): void {
    while (this.waiters.length > 0 && this.lines.length > 0) this.waiters.shift()?.resolve(this.lines.shift() ?? '');
    if (this.ended !== undefined) for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(this.ended));
  }
}

const readers = new WeakMap<ChildProcess, LineReader>();

/**
 * Resolves with the next line a child prints on stdout (rejects once it has exited without one, or after
 * `timeout` ms). Lines are kept from the first call on, so two lines in one chunk, or a line that comes
 * between two calls, are each given to one call.
 */
export function firstLine(child: ChildProcess, timeout = 15_000): Promise<string> {
  let reader = readers.get(child);
  if (reader === undefined) readers.set(child, (reader = new LineReader(child)));
  return reader.next(timeout);
}

/** Polls `check` every 20 ms until it returns true; rejects after `timeout` ms. */
export async function waitUntil(check: () => boolean, timeout = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
