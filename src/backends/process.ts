// A pool worker in a process: a forked Node process with an IPC channel for control messages and a shared-memory
// segment for the fast lane.
import type { ChildProcess } from 'node:child_process';
import { runtimeFileUrl } from '../runtime-files.js';
import { SharedMemory } from '../shm/shared-memory.js';
import { fromWorker, type FromWorker, type ToWorker } from '../wire/protocol.js';
import { futexWaiter } from '../wire/futex-word-waiter.js';
import type { ExitInfo, ResourceLimits, BackendWorkerOptions, BackendWorker } from './backend-worker.js';
import { processExecArgv } from './worker-exec-argv.js';

const entry = process.getBuiltinModule('node:url').fileURLToPath(runtimeFileUrl('backends/worker-entry.js'));

function limitFlags(limits: ResourceLimits | undefined): string[] {
  if (limits === undefined) return [];
  const flags: string[] = [];
  // 0 (or no value) leaves Node's default, as worker_threads does.
  const { maxOldGenerationSizeMb: old = 0, maxYoungGenerationSizeMb: young = 0, stackSizeMb: stack = 0 } = limits;
  if (old > 0) flags.push(`--max-old-space-size=${old}`);
  if (young > 0) flags.push(`--max-semi-space-size=${Math.max(1, Math.floor(young / 3))}`);
  if (stack > 0) flags.push(`--stack-size=${Math.max(1, Math.floor(stack * 1024))}`);
  return flags;
}

/** How long the flag check below may take; Node answers `--version` at once, before running anything. */
const flagCheckMs = 5000;

/**
 * What Node says of the flags a worker process starts with, when it refuses them: it runs `node <flags>
 * --version`, which parses the flags as a worker's start would and then exits at once, printing
 * `bad option: --x` on a refusal. Undefined when Node accepts them (the trouble is elsewhere).
 */
export function checkProcessFlags(options: Pick<BackendWorkerOptions, 'execArgv' | 'env' | 'resourceLimits'>): Promise<string | undefined> {
  const flags = [...processExecArgv(options.execArgv), ...limitFlags(options.resourceLimits), '--version'];
  return new Promise((resolve) => {
    const child = process.getBuiltinModule('node:child_process').spawn(process.execPath, flags, {
      env: options.env === undefined ? process.env : { ...options.env }, stdio: ['ignore', 'ignore', 'pipe'], timeout: flagCheckMs,
    });
    let said = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (said += chunk));
    child.once('error', () => resolve(undefined));
    child.once('close', (code) => resolve(code === 0 || said.trim() === '' ? undefined : said.trim()));
  });
}

export class ProcessWorker implements BackendWorker {
  readonly channel: SharedArrayBuffer;
  readonly channelRef: string;
  readonly ops = futexWaiter;
  readonly movesBuffers = false;
  readonly #child: ChildProcess;
  readonly #segment: SharedMemory;

  constructor(options: BackendWorkerOptions) {
    this.#segment = SharedMemory.create(options.channelBytes);
    this.channel = this.#segment.buf;
    this.channelRef = this.#segment.name;
    const env = options.env === undefined ? process.env : { ...options.env };
    // The child checks its parent against this pid (serve-worker.ts): read in the child, `process.ppid` would
    // already name init if the pool died while the child started.
    this.#child = process.getBuiltinModule('node:child_process').fork(entry, [String(process.pid)], {
      execArgv: [...processExecArgv(options.execArgv), ...limitFlags(options.resourceLimits)],
      env,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    // A failed send (the child already gone) surfaces through 'exit'.
    this.#child.on('error', () => {});
  }

  post(message: ToWorker, _transfer: readonly ArrayBuffer[] = []): void {
    if (this.#child.connected) this.#child.send(message);
  }

  onMessage(listener: (message: FromWorker) => void): void {
    this.#child.on('message', (value) => listener(fromWorker(value)));
  }

  onExit(listener: (info: ExitInfo) => void): void {
    // 'close' (not 'exit') so every IPC message the child sent before dying has been delivered.
    this.#child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      // The listener reads what the worker left in the channel (answers, the claim word) before it goes.
      try {
        listener({ code, signal });
      } finally {
        this.#release();
      }
    });
  }

  kill(): void {
    this.#child.kill('SIGKILL');
  }

  ref(keep: boolean): void {
    const channel = this.#child.channel as { ref(): void; unref(): void } | null | undefined;
    if (keep) {
      this.#child.ref();
      channel?.ref();
    } else {
      this.#child.unref();
      channel?.unref();
    }
  }

  attached(): void {
    this.#segment.unlink();
  }

  #release(): void {
    if (!this.#segment.closed) {
      try {
        this.#segment.unlink();
      } catch {
        // already unlinked once attached
      }
      this.#segment.close();
    }
  }
}
