// The helper thread of blocking proxy calls: it holds the connections to manager servers and moves request and reply bytes.
import { serveSyncCalls } from '../../backends/sync-call-thread.js';
import type { Address } from '../../connection/address.js';
import { Client } from '../../connection/client.js';
import type { SocketConnection } from '../../connection/connection.js';
import { parseReply, request } from '../protocol.js';
import { ManagerProtocolError } from '../errors.js';
import type { HelperAsk } from './helper-protocol.js';

/** Idle method channels per server and key: one thread's calls in flight each have their own, as BaseManager's do. */
const idle = new Map<string, SocketConnection[]>();
/** Pinned connections, each with the chain its calls run on one after another. */
const pinned = new Map<number, { connection: Promise<SocketConnection>; chain: Promise<unknown> }>();
/** Every reference-count request waits for the ones before it, so an incref is never overtaken by its decref. */
let counted: Promise<unknown> = Promise.resolve();

function keyOf(address: Address, authkey: Uint8Array): string {
  return `${JSON.stringify(address)}\n${Buffer.from(authkey).toString('hex')}`;
}

function open(ask: HelperAsk): Promise<SocketConnection> {
  return Client(ask.address, { authkey: ask.authkey, timeout: 20_000 });
}

async function oneShot(ask: HelperAsk): Promise<Uint8Array> {
  const connection = await open(ask);
  try {
    await connection.sendBytes(ask.bytes);
    return await connection.recvBytes();
  } finally {
    connection.close();
  }
}

async function channel(ask: HelperAsk): Promise<SocketConnection> {
  const reused = idle.get(keyOf(ask.address, ask.authkey))?.pop();
  if (reused !== undefined && !reused.closed) return reused;
  const connection = await open(ask);
  try {
    await connection.send(request(null, 'accept_connection', [ask.name]));
    const [kind] = parseReply(await connection.recv());
    if (kind !== '#RETURN') throw new ManagerProtocolError(`the server refused accept_connection (${kind})`);
    return connection;
  } catch (error) {
    connection.close();
    throw error;
  }
}

async function methodCall(ask: HelperAsk): Promise<Uint8Array> {
  const connection = await channel(ask);
  let reusable = false;
  try {
    await connection.sendBytes(ask.bytes);
    const reply = await connection.recvBytes();
    reusable = true;
    return reply;
  } finally {
    if (reusable && !connection.closed) {
      const key = keyOf(ask.address, ask.authkey);
      const list = idle.get(key) ?? [];
      list.push(connection);
      idle.set(key, list);
    } else {
      connection.close();
    }
  }
}

/** A call on a pinned connection: the server sees one client for the proxy, as Python's server sees one thread. */
function pinnedCall(ask: HelperAsk, pin: number): Promise<Uint8Array> {
  let entry = pinned.get(pin);
  if (entry === undefined) {
    const connection = channel(ask);
    connection.catch(() => undefined);
    pinned.set(pin, (entry = { connection, chain: Promise.resolve() }));
  }
  const { connection } = entry;
  const run = entry.chain.then(async () => {
    const open = await connection;
    await open.sendBytes(ask.bytes);
    return open.recvBytes();
  });
  entry.chain = run.catch(() => undefined);
  return run;
}

function unpin(pin: number): void {
  const entry = pinned.get(pin);
  pinned.delete(pin);
  entry?.connection.then((connection) => connection.close(), () => undefined);
}

serveSyncCalls((message) => {
  const ask = message as HelperAsk;
  // A call waits for the reference counts asked before it: a rebuilt proxy's first call finds its incref done.
  if (ask.op === 'call') return counted.then(() => (ask.pin === undefined ? methodCall(ask) : pinnedCall(ask, ask.pin)));
  const run = counted.then(() => oneShot(ask));
  counted = run.catch(() => undefined);
  if (ask.unpin !== undefined) {
    const pin = ask.unpin;
    run.finally(() => unpin(pin)).catch(() => undefined);
  }
  return run;
});
