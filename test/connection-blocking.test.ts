// The blocking path (BlockingListener, connectSync, BlockingConnection): TS<->TS across threads, against the
// async Listener/Client, against real Python 3.11, 3.12 and 3.13, with its timeouts, truncations and limits.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { BlockingListener, Client, connectSync, Listener, loads, Tuple, tuple, type Address, type BlockingConnection } from '../src/index.js';
import { rejectsWithCode, throwsCode } from './helpers/codes.js';
import { addressOf, JsonLinePeer } from './helpers/json-peer.js';
import { pythonFor } from './helpers/python-versions.js';
import { pythonScript } from './helpers/spawn.js';

const indexUrl = new URL('../src/index.js', import.meta.url).href;
const peerScript = pythonScript('connection_peer.py');
const key = new TextEncoder().encode('shared secret');
const keyHex = Buffer.from(key).toString('hex');
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const bytes = (value: string): Uint8Array => new TextEncoder().encode(value);
const versions = ['3.11', '3.12', '3.13'] as const;

/**
 * A worker thread running `body` (an async function body with `m`, the package, `address` and `key` in scope),
 * terminated after `limit` ms; resolves with what the body returns.
 */
function inWorker(body: string, address: Address, limit = 30_000): Promise<unknown> {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const m = await import(workerData.indexUrl);
      const address = workerData.address;
      const key = new Uint8Array(workerData.key);
      ${body}
    })().then((value) => parentPort.postMessage({ value }), (error) => parentPort.postMessage({ error: { code: error.code, message: error.message } }));`;
  const worker = new Worker(source, { eval: true, workerData: { indexUrl, address, key: [...key] } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => void worker.terminate().then(() => reject(new Error(`the worker ran past ${limit} ms`))), limit);
    worker.once('message', (message: { value?: unknown; error?: { code?: string; message: string } }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (message.error !== undefined) reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
      else resolve(message.value);
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** connection_peer.py's bytes session from the blocking end: greeting, echoes (a 4 MiB one too), quit. */
function blockingEchoSession(connection: BlockingConnection, version: string): void {
  assert.equal(text(connection.recvBytes(null, { timeout: 20_000 })), `hello from ${version}`);
  const big = new Uint8Array(4 << 20).map((_, i) => (i * 31) & 0xff);
  for (const message of [new Uint8Array(0), bytes('hé'), new Uint8Array(16384).fill(7), new Uint8Array(16385).fill(9), new Uint8Array(200_000).map((_, i) => i), big]) {
    connection.sendBytes(message);
    const back = connection.recvBytes(null, { timeout: 20_000 });
    assert.equal(Buffer.compare(back, message), 0, `${message.length} bytes echoed by ${version}`);
  }
  connection.sendBytes(bytes('quit'));
}

/** A one-shot Python script (inline) under a time limit. */
function pythonInline(code: string, limit = 30_000): JsonLinePeer {
  return new JsonLinePeer(pythonFor('3.12'), ['-c', code], limit);
}

describe('the blocking path against Python', () => {
  for (const version of versions) {
    it(`Python ${version} Listener, connectSync: the handshake, bytes both ways (4 MiB included) and pickled values`, async () => {
      const peer = new JsonLinePeer(pythonFor(version), [peerScript, 'listen', JSON.stringify(['127.0.0.1', 0]), keyHex, 'bytes']);
      const address = addressOf(await peer.next());
      const connection = connectSync(address, { authkey: key, timeout: 20_000 });
      try {
        blockingEchoSession(connection, version);
      } finally {
        connection.close();
      }
      assert.deepEqual(await peer.next(), { connected: true, version });
      assert.deepEqual(await peer.next(), { quit: true });
      await peer.end();

      const objects = new JsonLinePeer(pythonFor(version), [peerScript, 'listen', JSON.stringify(['127.0.0.1', 0]), keyHex, 'objects']);
      const at = addressOf(await objects.next());
      using conn = connectSync(at, { authkey: key });
      const greeting = conn.recv<Map<string, unknown>>({ timeout: 20_000 });
      assert.equal(greeting.get('version'), version);
      assert.deepEqual(greeting.get('items'), [1, -(2n ** 70n), 2.5, null, true, 'h\u00e9llo', new Uint8Array([0, 255])]);
      assert.ok(greeting.get('pair') instanceof Tuple);
      conn.send({ n: 1, t: tuple(1, 'two'), big: 2n ** 70n });
      const back = conn.recv<Map<string, unknown>>({ timeout: 20_000 });
      assert.equal(back.get('big'), 2n ** 70n);
      assert.deepEqual([...(back.get('t') as Tuple)], [1, 'two']);
      conn.send('quit');
      assert.deepEqual(await objects.next(), { connected: true, version });
      assert.deepEqual(await objects.next(), { received: "{'n': 1, 't': (1, 'two'), 'big': 1180591620717411303424}" });
      assert.deepEqual(await objects.next(), { quit: true });
      await objects.end();
    });

    it(`BlockingListener, Python ${version} Client: the handshake and bytes both ways`, async () => {
      using listener = BlockingListener.listen(['127.0.0.1', 0], { authkey: key });
      const peer = new JsonLinePeer(pythonFor(version), [peerScript, 'connect', JSON.stringify(listener.address), keyHex, 'bytes']);
      const connection = listener.accept({ timeout: 20_000 });
      try {
        blockingEchoSession(connection, version);
      } finally {
        connection.close();
      }
      assert.deepEqual(await peer.next(), { connected: true, version });
      assert.deepEqual(await peer.next(), { quit: true });
      await peer.end();
    });
  }

  it('a wrong key fails on both sides with Python 3.11 (legacy answers) and 3.12, and nothing hangs', async () => {
    for (const version of ['3.11', '3.12'] as const) {
      using listener = BlockingListener.listen(['127.0.0.1', 0], { authkey: bytes('other key') });
      const client = new JsonLinePeer(pythonFor(version), [peerScript, 'connect', JSON.stringify(listener.address), keyHex, 'bytes']);
      throwsCode(() => listener.accept({ timeout: 20_000 }), 'ERR_MP_AUTHENTICATION');
      assert.equal((await client.next()).error, 'AuthenticationError');
      await client.end();

      const server = new JsonLinePeer(pythonFor(version), [peerScript, 'listen', JSON.stringify(['127.0.0.1', 0]), keyHex, 'bytes']);
      const address = addressOf(await server.next());
      throwsCode(() => connectSync(address, { authkey: bytes('other key'), timeout: 20_000 }), 'ERR_MP_AUTHENTICATION');
      assert.equal((await server.next()).error, 'AuthenticationError');
      await server.end();
    }
  });

  it('legacy challenges from the blocking end are answered by Python 3.11 and 3.12', async () => {
    for (const version of ['3.11', '3.12'] as const) {
      const peer = new JsonLinePeer(pythonFor(version), [peerScript, 'listen', JSON.stringify(['127.0.0.1', 0]), keyHex, 'bytes']);
      const address = addressOf(await peer.next());
      using connection = connectSync(address, { authkey: key, digest: 'legacy' });
      assert.equal(text(connection.recvBytes(null, { timeout: 20_000 })), `hello from ${version}`);
      connection.sendBytes(bytes('quit'));
      assert.deepEqual(await peer.next(), { connected: true, version });
      assert.deepEqual(await peer.next(), { quit: true });
      await peer.end();
    }
  });

  it('gives up on a server that accepts and says nothing, after authTimeout (ERR_MP_AUTHENTICATION_TIMEOUT)', async () => {
    const peer = new JsonLinePeer(pythonFor('3.12'), [peerScript, 'silent-server', JSON.stringify(['127.0.0.1', 0])]);
    const address = addressOf(await peer.next());
    const started = Date.now();
    throwsCode(() => connectSync(address, { authkey: key, authTimeout: 300 }), 'ERR_MP_AUTHENTICATION_TIMEOUT');
    assert.ok(Date.now() - started < 10_000, 'the handshake deadline ended the wait');
    // The client closed the socket: the silent server sees the end of its stream.
    assert.equal((await peer.next()).eof, true);
    await peer.end();
  });

  it('over an abstract socket and a Unix socket file, Python 3.12 connecting; the file is removed on close', async () => {
    const name = `\0mp-blocking-${process.pid}`;
    const dir = mkdtempSync(path.join(tmpdir(), 'mp-blocking-'));
    try {
      for (const address of [name, path.join(dir, 'socket')]) {
        const listener = BlockingListener.listen(address, { authkey: key });
        const peer = new JsonLinePeer(pythonFor('3.12'), [peerScript, 'connect', JSON.stringify(address), keyHex, 'bytes']);
        const connection = listener.accept({ timeout: 20_000 });
        assert.equal(text(connection.recvBytes(null, { timeout: 20_000 })), 'hello from 3.12');
        connection.sendBytes(bytes('quit'));
        connection.close();
        listener.close();
        await peer.end();
        if (!address.startsWith('\0')) assert.equal(existsSync(address), false, 'the socket file is gone');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the blocking path between TypeScript ends', () => {
  it('a BlockingListener on this thread and connectSync in a worker: values, bytes, poll, recvBytesInto', async () => {
    using listener = BlockingListener.listen(['127.0.0.1', 0], { authkey: key });
    const worker = inWorker(`
      const conn = m.connectSync(address, { authkey: key, timeout: 20000 });
      const got = [];
      for (;;) {
        let value;
        try { value = conn.recv({ timeout: 20000 }); } catch (error) { if (error.code === 'ERR_MP_CONNECTION_EOF') break; throw error; }
        got.push(value instanceof Uint8Array ? value.length : value);
        conn.send(value);
      }
      conn.close();
      return got.length;`, listener.address);
    const connection = listener.accept({ timeout: 20_000 });
    assert.equal(connection.poll(0), false, 'nothing was sent yet');
    const values: unknown[] = [1, 'two', tuple(3, 4.5), new Map([['k', [null, true]]]), new Uint8Array(1 << 20).fill(3), 2n ** 80n];
    for (const value of values) {
      connection.send(value);
      assert.equal(connection.poll(20_000), true);
      assert.deepEqual(connection.recv({ timeout: 20_000 }), value);
    }
    // Several messages in flight, read back from one read-ahead.
    for (let i = 0; i < 50; i++) connection.send(i);
    for (let i = 0; i < 50; i++) assert.equal(connection.recv({ timeout: 20_000 }), i);
    connection.send(new Uint8Array([1, 2, 3]));
    const into = new Uint8Array(100);
    // The echo is pickled bytes: recvBytesInto takes the message as it came.
    const n = connection.recvBytesInto(into, 2, { timeout: 20_000 });
    assert.deepEqual(loads(into.subarray(2, 2 + n)), new Uint8Array([1, 2, 3]));
    assert.deepEqual([...into.subarray(0, 2)], [0, 0], 'nothing before the offset was written');
    connection.close();
    assert.equal(await worker, values.length + 51);
    throwsCode(() => connection.recvBytes(), 'ERR_MP_CONNECTION_CLOSED');
    throwsCode(() => connection.sendBytes(new Uint8Array(1)), 'ERR_MP_CONNECTION_CLOSED');
  });

  it('the blocking end talks to the async Listener and Client (the wire is the same)', async () => {
    await using listener = await Listener.listen(['127.0.0.1', 0], { authkey: key });
    const worker = inWorker(`
      const conn = m.connectSync(address, { authkey: key, timeout: 20000 });
      conn.sendBytes(new TextEncoder().encode('from a blocking end'));
      try { return new TextDecoder().decode(conn.recvBytes(null, { timeout: 20000 })); } finally { conn.close(); }`, listener.address);
    const connection = await listener.accept({ timeout: 20_000 });
    assert.equal(text(await connection.recvBytes(null, { timeout: 20_000 })), 'from a blocking end');
    await connection.sendBytes(bytes('from the async end'));
    assert.equal(await worker, 'from the async end');
    connection.close();

  });

  it('an async Client reaches a BlockingListener in a worker; a wrong key fails on both sides', async () => {
    const probe = BlockingListener.listen(['127.0.0.1', 0]);
    const address = probe.address;
    probe.close();
    const worker = inWorker(`
      const l = m.BlockingListener.listen(address, { authkey: key });
      const conn = l.accept({ timeout: 20000 });
      conn.send(conn.recv({ timeout: 20000 }));
      conn.close();
      try { l.accept({ timeout: 20000 }); return 'accepted a wrong key'; } catch (error) { return error.code; } finally { l.close(); }`, address);
    let connection: Awaited<ReturnType<typeof Client>> | undefined;
    for (let i = 0; connection === undefined; i++) {
      try {
        connection = await Client(address, { authkey: key, timeout: 5_000 });
      } catch (error) {
        if ((error as { code?: string }).code !== 'ERR_MP_CONNECTION_FAILED' || i > 200) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    await connection.send(tuple('ping', 1));
    assert.deepEqual([...(await connection.recv<Tuple>({ timeout: 20_000 }))], ['ping', 1]);
    connection.close();
    await rejectsWithCode(Client(address, { authkey: bytes('wrong'), timeout: 5_000 }), 'ERR_MP_AUTHENTICATION');
    assert.equal(await worker, 'ERR_MP_AUTHENTICATION');
  });
});

describe('the blocking path when things go wrong', () => {
  it('a recv timeout loses nothing: a message split around the deadline is read whole by the next call', async () => {
    using listener = BlockingListener.listen(['127.0.0.1', 0]);
    // Half a message, a pause past the receiver's timeout, then the rest and a second message.
    const peer = pythonInline(`
import socket, struct, time
s = socket.create_connection(('127.0.0.1', ${(listener.address as [string, number])[1]}))
body = bytes(range(200)) * 100
frame = struct.pack('!i', len(body)) + body
s.sendall(frame[:7000]); time.sleep(0.6); s.sendall(frame[7000:] + struct.pack('!i', 2) + b'ok')
s.recv(1); s.close()`);
    using connection = listener.accept({ timeout: 20_000 });
    throwsCode(() => connection.recvBytes(null, { timeout: 150 }), 'ERR_MP_CONNECTION_TIMEOUT');
    const message = connection.recvBytes(null, { timeout: 20_000 });
    assert.equal(message.length, 20_000);
    assert.equal(Buffer.compare(message, Buffer.from(new Uint8Array(20_000).map((_, i) => i % 200))), 0);
    assert.equal(text(connection.recvBytes(null, { timeout: 20_000 })), 'ok');
    throwsCode(() => connection.recvBytes(null, { timeout: 0 }), 'ERR_MP_CONNECTION_TIMEOUT');
    assert.equal(connection.poll(50), false);
    connection.sendBytes(new Uint8Array(0));
    await peer.end();
  });

  it('a peer that closes mid-message gives ERR_MP_CONNECTION_TRUNCATED, between messages ERR_MP_CONNECTION_EOF, and no hang', async () => {
    using listener = BlockingListener.listen(['127.0.0.1', 0]);
    const port = (listener.address as [string, number])[1];
    const truncating = pythonInline(`
import socket, struct
s = socket.create_connection(('127.0.0.1', ${port}))
s.sendall(struct.pack('!i', 3) + b'one' + struct.pack('!i', 1000) + b'only ten b')
s.close()`);
    const first = listener.accept({ timeout: 20_000 });
    assert.equal(text(first.recvBytes(null, { timeout: 20_000 })), 'one');
    throwsCode(() => first.recvBytes(null, { timeout: 20_000 }), 'ERR_MP_CONNECTION_TRUNCATED');
    // The failure stays: the stream cannot go on.
    throwsCode(() => first.recvBytes(null, { timeout: 20_000 }), 'ERR_MP_CONNECTION_TRUNCATED');
    assert.equal(first.poll(0), true, 'poll says a call would not wait');
    first.close();
    await truncating.end();

    const clean = pythonInline(`
import socket, struct
s = socket.create_connection(('127.0.0.1', ${port}))
s.sendall(struct.pack('!i', 2) + b'hi')
s.close()`);
    using second = listener.accept({ timeout: 20_000 });
    await clean.end();
    assert.equal(text(second.recvBytes(null, { timeout: 20_000 })), 'hi');
    throwsCode(() => second.recv({ timeout: 20_000 }), 'ERR_MP_CONNECTION_EOF');
    // Writing to a peer that is gone fails with a code, not a signal that kills the process.
    assert.throws(
      () => {
        for (let i = 0; i < 1000; i++) second.sendBytes(new Uint8Array(65536));
      },
      (error: { code?: string }) => error.code === 'ERR_MP_CONNECTION_BROKEN',
    );
  });

  it('refuses a message past maxMessageSize or maxlength from its header, before allocating, and closes', async () => {
    using listener = BlockingListener.listen(['127.0.0.1', 0], { maxMessageSize: 1000 });
    const port = (listener.address as [string, number])[1];
    // 2^40 bytes in the 12-byte form: allocating it first would throw a RangeError, not the coded error.
    const huge = pythonInline(`
import socket, struct
s = socket.create_connection(('127.0.0.1', ${port}))
s.sendall(struct.pack('!iQ', -1, 1 << 40))
s.recv(1); s.close()`);
    const first = listener.accept({ timeout: 20_000 });
    assert.throws(
      () => first.recvBytes(null, { timeout: 20_000 }),
      (error: { code?: string; size?: number; limit?: number }) => error.code === 'ERR_MP_MESSAGE_TOO_LARGE' && error.size === 2 ** 40 && error.limit === 1000,
    );
    assert.equal(first.closed, true);
    throwsCode(() => first.recvBytes(), 'ERR_MP_CONNECTION_CLOSED');
    await huge.end();

    const small = pythonInline(`
import socket, struct
s = socket.create_connection(('127.0.0.1', ${port}))
s.sendall(struct.pack('!i', 500) + bytes(500))
s.recv(1); s.close()`);
    const second = listener.accept({ timeout: 20_000 });
    assert.throws(() => second.recvBytes(100, { timeout: 20_000 }), (error: { code?: string; size?: number }) => error.code === 'ERR_MP_MESSAGE_TOO_LARGE' && error.size === 500);
    assert.equal(second.closed, true);
    await small.end();
  });

  it('a handshake message past 256 bytes is refused before the key is checked', async () => {
    using listener = BlockingListener.listen(['127.0.0.1', 0], { authkey: key });
    const port = (listener.address as [string, number])[1];
    const peer = pythonInline(`
import socket, struct
s = socket.create_connection(('127.0.0.1', ${port}))
s.recv(100)
s.sendall(struct.pack('!i', 100000))
s.recv(1); s.close()`);
    assert.throws(
      () => listener.accept({ timeout: 20_000 }),
      (error: { code?: string; cause?: { code?: string } }) => error.code === 'ERR_MP_AUTHENTICATION' && error.cause?.code === 'ERR_MP_MESSAGE_TOO_LARGE',
    );
    await peer.end();
  });

  it('a spinning recv takes messages that come during the spin and after it, in order, and keeps to a shorter timeout', async () => {
    using listener = BlockingListener.listen(['127.0.0.1', 0], { spin: 0 });
    const worker = inWorker(`
      const conn = m.connectSync(address, { timeout: 20000, spin: 1000000 });
      conn.send('ready');
      const out = [];
      // A timeout of 20 ms bounds a spin of a second: this call gives up before the first message comes.
      try { out.push(conn.recv({ timeout: 20 })); } catch (error) { out.push(error.code); }
      for (let i = 0; i < 3; i++) out.push(conn.recv({ timeout: 20000 }));
      conn.close();
      return out;`, listener.address);
    using connection = listener.accept({ timeout: 20_000 });
    assert.equal(connection.recv({ timeout: 20_000 }), 'ready');
    const pause = (ms: number): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, ms));
    await pause(500);
    connection.send(0);
    await pause(30);
    connection.send(1);
    // Past the worker's spin of a second: this one is taken by the wait in poll().
    await pause(1_500);
    connection.send(2);
    assert.deepEqual(await worker, ['ERR_MP_CONNECTION_TIMEOUT', 0, 1, 2]);
    for (const spin of [-1, Number.NaN, Infinity, 2_000_000, '5']) {
      assert.throws(() => connectSync(listener.address, { spin: spin as number }), RangeError);
      assert.throws(() => BlockingListener.listen(['127.0.0.1', 0], { spin: spin as number }), RangeError);
    }
  });

  it('times out accept and connect, refuses a closed listener, and checks its arguments', () => {
    const listener = BlockingListener.listen(['127.0.0.1', 0]);
    const started = Date.now();
    throwsCode(() => listener.accept({ timeout: 120 }), 'ERR_MP_CONNECTION_TIMEOUT');
    assert.ok(Date.now() - started >= 100, 'accept waited for its timeout');
    const address = listener.address;
    listener.close();
    throwsCode(() => listener.accept({ timeout: 10 }), 'ERR_MP_LISTENER_CLOSED');
    throwsCode(() => connectSync(address, { timeout: 5_000 }), 'ERR_MP_CONNECTION_FAILED');
    throwsCode(() => BlockingListener.listen('/nonexistent-dir/socket'), 'ERR_MP_LISTEN_FAILED');
    const dir = mkdtempSync(path.join(tmpdir(), 'mp-blocking-'));
    try {
      throwsCode(() => connectSync(path.join(dir, 'nothing-here')), 'ERR_MP_CONNECTION_FAILED');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.throws(() => connectSync(['127.0.0.1', 70000]), RangeError);
    assert.throws(() => connectSync(42 as unknown as Address), TypeError);
    assert.throws(() => BlockingListener.listen(['127.0.0.1', 0], { backlog: -1 }), RangeError);
    using temp = BlockingListener.listen();
    assert.equal(typeof temp.address, 'string');
    assert.ok(existsSync(temp.address as string));
    temp.close();
    assert.equal(existsSync(path.dirname(temp.address as string)), false, 'the temporary folder is removed');
  });

  it('checks recv and poll arguments before touching the socket', async () => {
    using listener = BlockingListener.listen(['127.0.0.1', 0]);
    const worker = inWorker(`
      const conn = m.connectSync(address);
      try { conn.recvBytes(null, { timeout: 20000 }); return 'received something'; } catch (error) { return error.code; } finally { conn.close(); }`, listener.address);
    using connection = listener.accept({ timeout: 20_000 });
    assert.throws(() => connection.recvBytes(-1), RangeError);
    assert.throws(() => connection.recvBytes(null, { timeout: -5 }), RangeError);
    assert.throws(() => connection.poll('soon' as unknown as number), TypeError);
    assert.throws(() => connection.sendBytes(new Uint8Array(4), 5), RangeError);
    assert.throws(() => connection.send(() => 1), (error: { code?: string }) => error.code === 'ERR_MP_PICKLE_UNSUPPORTED');
    connection.close();
    assert.equal(await worker, 'ERR_MP_CONNECTION_EOF', 'nothing was sent by the failed calls');
  });
});
