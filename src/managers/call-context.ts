// The signal of the method call a served object is running: aborted when the caller's connection closes or the server stops.
import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<AbortSignal>();

/**
 * Inside a method the manager server called: a signal that aborts when the client that asked has gone or the
 * server is shutting down, so a blocking method (a queue's `get`) can give up instead of taking an item no one
 * will receive. Outside a call: undefined.
 */
export function callSignal(): AbortSignal | undefined {
  return storage.getStore();
}

export function runInCall<T>(signal: AbortSignal, fn: () => T): T {
  return storage.run(signal, fn);
}
