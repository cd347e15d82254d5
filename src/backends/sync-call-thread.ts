// A helper thread that does a thread's asynchronous work while it waits, so a call can block as Python's do. A leaf:
// it imports nothing from src/, so lower folders may use it (scripts/check-layers.mjs places it low).
import type { MessagePort } from 'node:worker_threads';

/** What a thread posts to its helper: an id, and what the helper's handler is asked. */
interface Ask {
  readonly id: number;
  readonly message: unknown;
}

/** What the helper answers: the handler's value, or what it threw (an error as its name, code and message). */
type Answer = { readonly id: number; readonly value: unknown } | { readonly id: number; readonly error: { name: string; code?: unknown; message: string } };

/** The error a helper's handler threw, rebuilt on the calling thread with its name and code. */
export class HelperCallError extends Error {
  readonly code: unknown;

  constructor(name: string, code: unknown, message: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

/** The calling side of a helper thread: `callSync` blocks this thread until the answer; `call` does not. */
export interface SyncCallThread {
  callSync(message: unknown): unknown;
  call(message: unknown): Promise<unknown>;
}

function settle(answer: Answer): { ok: true; value: unknown } | { ok: false; error: HelperCallError } {
  if ('error' in answer) return { ok: false, error: new HelperCallError(answer.error.name, answer.error.code, answer.error.message) };
  return { ok: true, value: answer.value };
}

/**
 * Starts a thread running the module at `entry` (which calls `serveSyncCalls`), unref'd so it never keeps this
 * process alive. Answers arrive on a message port; a blocked caller sleeps on a shared counter the helper bumps
 * after each answer (Atomics.wait), then takes the answers off the port synchronously, handing the ones for
 * other (asynchronous) calls to their promises.
 */
export function startSyncCallThread(entry: URL): SyncCallThread {
  const { Worker, MessageChannel, receiveMessageOnPort } = process.getBuiltinModule('node:worker_threads');
  const answered = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(entry, { workerData: { port: port2, answered }, transferList: [port2] });
  worker.unref();
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();
  let nextId = 1;
  let inFlight = 0;
  let dead: Error | undefined;
  const deliver = (answer: Answer): void => {
    const waiter = pending.get(answer.id);
    if (waiter === undefined) return;
    pending.delete(answer.id);
    if (--inFlight === 0) port1.unref();
    const settled = settle(answer);
    if (settled.ok) waiter.resolve(settled.value);
    else waiter.reject(settled.error);
  };
  port1.on('message', deliver);
  port1.unref();
  worker.on('error', (error: Error) => {
    dead = error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  });
  return {
    call(message: unknown): Promise<unknown> {
      if (dead !== undefined) return Promise.reject(dead);
      const id = nextId++;
      if (inFlight++ === 0) port1.ref();
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        port1.postMessage({ id, message } satisfies Ask);
      });
    },
    callSync(message: unknown): unknown {
      if (dead !== undefined) throw dead;
      const id = nextId++;
      port1.postMessage({ id, message } satisfies Ask);
      for (;;) {
        const seen = Atomics.load(answered, 0);
        const got = receiveMessageOnPort(port1) as { message: Answer } | undefined;
        if (got === undefined) {
          // A second's sleep at most, so a helper that died (whose 'error' event cannot run while this thread waits) is seen.
          if (Atomics.wait(answered, 0, seen, 1000) === 'timed-out' && worker.threadId === -1) throw new Error('the helper thread of blocking calls has exited');
          continue;
        }
        if (got.message.id !== id) {
          deliver(got.message);
          continue;
        }
        const settled = settle(got.message);
        if (settled.ok) return settled.value;
        throw settled.error;
      }
    },
  };
}

/** The helper's side: answers each message with `handler` (concurrently), bumping the shared counter after each. */
export function serveSyncCalls(handler: (message: unknown) => Promise<unknown>): void {
  const { port, answered } = process.getBuiltinModule('node:worker_threads').workerData as { port: MessagePort; answered: Int32Array };
  const answer = (reply: Answer): void => {
    port.postMessage(reply);
    Atomics.add(answered, 0, 1);
    Atomics.notify(answered, 0);
  };
  port.on('message', (ask: Ask) => {
    handler(ask.message).then(
      (value) => answer({ id: ask.id, value }),
      (error: unknown) => {
        const e = error instanceof Error ? error : new Error(String(error));
        answer({ id: ask.id, error: { name: e.name, code: (e as { code?: unknown }).code, message: e.message } });
      },
    );
  });
}
