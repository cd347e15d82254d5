// A Python peer for interop tests: a process under a time limit printing one JSON event per line.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Address } from '../../src/index.js';

export type PeerEvent = Record<string, unknown>;

/** A Python process under a time limit whose stdout lines are JSON events, read one at a time. */
export class JsonLinePeer {
  readonly child: ChildProcess;
  readonly #lines: string[] = [];
  readonly #waiting: ((line: string) => void)[] = [];
  #stderr = '';
  readonly exited: Promise<number | null>;
  readonly #limit: NodeJS.Timeout;

  constructor(python: string, args: string[], limit = 60_000) {
    this.child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#limit = setTimeout(() => this.child.kill('SIGKILL'), limit);
    let buffered = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const waiter = this.#waiting.shift();
        if (waiter === undefined) this.#lines.push(line);
        else waiter(line);
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.#stderr += chunk));
    this.exited = new Promise((resolve) => this.child.once('close', (code) => {
      clearTimeout(this.#limit);
      resolve(code);
    }));
  }

  /** The next event the peer prints; rejects after `timeout` ms or when the peer exits first. */
  next(timeout = 20_000): Promise<PeerEvent> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(JSON.parse(line) as PeerEvent);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no event from Python within ${timeout} ms; stderr: ${this.#stderr}`)), timeout);
      const onLine = (got: string): void => {
        clearTimeout(timer);
        resolve(JSON.parse(got) as PeerEvent);
      };
      this.#waiting.push(onLine);
      void this.exited.then(() => setTimeout(() => {
        if (!this.#waiting.includes(onLine)) return;
        clearTimeout(timer);
        reject(new Error(`Python exited before the next event; stderr: ${this.#stderr}`));
      }, 50));
    });
  }

  /** Waits for a clean exit (code 0); kills the peer if it has not exited within `timeout` ms. */
  async end(timeout = 20_000): Promise<void> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeout);
    const code = await this.exited;
    clearTimeout(timer);
    assert.equal(code, 0, `Python exited with ${code}; stderr: ${this.#stderr}`);
  }
}

/** The `address` an event carries: `[host, port]` or a socket path. */
export function addressOf(event: PeerEvent): Address {
  const address = event['address'];
  return Array.isArray(address) ? [address[0] as string, address[1] as number] : (address as string);
}
