// wait(): Python's multiprocessing.connection.wait, the connections among several that have a message
// (or their end of stream) waiting.
import { expected } from '../errors.js';
import { checkTimeout } from './options.js';

/** Anything with Python's `poll`: a SocketConnection, or a Pipe's Connection. */
export interface Pollable {
  poll(options: { timeout?: number; signal?: AbortSignal }): Promise<boolean>;
}

/**
 * Resolves with those of `connections` that can be received from without waiting, in the order given, as soon
 * as there is at least one, or with `[]` after `timeout` ms (`null` or leaving it out waits for ever).
 */
export async function wait<T extends Pollable>(connections: Iterable<T>, timeout: number | null = null): Promise<T[]> {
  if (connections === null || typeof connections !== 'object' || !(Symbol.iterator in connections)) {
    throw new TypeError(expected('connections', 'an iterable of connections', connections));
  }
  const list = [...connections];
  for (const [i, connection] of list.entries()) {
    if (typeof connection !== 'object' || connection === null || typeof (connection as Partial<Pollable>).poll !== 'function') {
      throw new TypeError(expected(`connections[${i}]`, 'a connection (an object with poll())', connection));
    }
  }
  const ms = timeout === null ? Infinity : checkTimeout(Math.max(0, timeout));
  if (list.length === 0) {
    if (ms === Infinity) throw new RangeError(expected('timeout', 'a number of milliseconds when there is no connection to wait for', timeout));
    await new Promise((resolve) => setTimeout(resolve, ms));
    return [];
  }
  const ready = await readyOf(list);
  if (ready.length > 0 || ms === 0) return ready;
  const stop = new AbortController();
  const polls = list.map((connection) => connection.poll({ timeout: ms, signal: stop.signal }).catch((error: unknown) => {
    if (stop.signal.aborted) return false;
    throw error;
  }));
  try {
    await Promise.race([...polls.map((poll) => poll.then((ok) => (ok ? Promise.resolve() : new Promise<void>(() => {})))), Promise.all(polls)]);
  } finally {
    stop.abort();
  }
  await Promise.allSettled(polls);
  return readyOf(list);
}

async function readyOf<T extends Pollable>(list: T[]): Promise<T[]> {
  const flags = await Promise.all(list.map((connection) => connection.poll({ timeout: 0 })));
  return list.filter((_, i) => flags[i]);
}
