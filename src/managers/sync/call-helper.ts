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

serveSyncCalls((message) => {
  const ask = message as HelperAsk;
  if (ask.op === 'call') return methodCall(ask);
  const run = counted.then(() => oneShot(ask));
  counted = run.catch(() => undefined);
  return run;
});
