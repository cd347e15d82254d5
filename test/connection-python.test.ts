// Listener and Client against real Python 3.11, 3.12 and 3.13 multiprocessing.connection, both ways: bytes,
// 64 MiB messages, the 12-byte header form, wrong keys, the authentication deadline, abstract sockets.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { Client, Listener, Tuple, tuple, type SocketConnection } from '../src/index.js';
import { encodeHeader, encodeLongHeader, FrameReader } from '../src/connection/framing.js';
import { rejectsWithCode } from './helpers/codes.js';
import { addressOf, JsonLinePeer } from './helpers/json-peer.js';
import { pythonFor } from './helpers/python-versions.js';
import { finish, pythonScript } from './helpers/spawn.js';

const peerScript = pythonScript('connection_peer.py');
const key = new TextEncoder().encode('shared secret');
const keyHex = Buffer.from(key).toString('hex');
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const bytes = (value: string): Uint8Array => new TextEncoder().encode(value);
const versions = ['3.11', '3.12', '3.13'] as const;

const pythonPeer = (version: (typeof versions)[number], args: string[]): JsonLinePeer => new JsonLinePeer(pythonFor(version), [peerScript, ...args]);

/** The bytes echo session of connection_peer.py, driven from the TypeScript end. */
async function echoSession(connection: SocketConnection, version: string): Promise<void> {
  assert.equal(text(await connection.recvBytes()), `hello from ${version}`);
  const messages = [new Uint8Array(0), bytes('hé'), new Uint8Array(16384).fill(7), new Uint8Array(16385).fill(9), new Uint8Array(200_000).map((_, i) => i)];
  for (const message of messages) {
    await connection.sendBytes(message);
    const back = await connection.recvBytes();
    assert.equal(Buffer.compare(back, message), 0, `${message.length} bytes echoed by ${version}`);
  }
  // 64 MiB each way: Python writes it as a header and a separate payload.
  const big = new Uint8Array(64 << 20);
  for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
  const [, back] = await Promise.all([connection.sendBytes(big), connection.recvBytes()]);
  assert.equal(back.length, big.length);
  assert.equal(Buffer.compare(back, big), 0, '64 MiB echoed');
  await connection.sendBytes(bytes('quit'));
}

/** The objects session of connection_peer.py: Python's greeting, then values echoed and printed by Python. */
async function objectSession(connection: SocketConnection, peer: JsonLinePeer, version: string): Promise<void> {
  assert.deepEqual(await peer.next(), { connected: true, version });
  const greeting = await connection.recv<Map<string, unknown>>();
  assert.equal(greeting.get('version'), version);
  assert.deepEqual(greeting.get('items'), [1, -(2n ** 70n), 2.5, null, true, 'h\u00e9llo', new Uint8Array([0, 255])]);
  const pair = greeting.get('pair');
  assert.ok(pair instanceof Tuple);
  assert.deepEqual([...pair], [1, 'two']);
  const value = { n: 1, f: 1.5, s: 'h\u00e9', b: new Uint8Array([0, 255]), l: [1, 2], big: 2n ** 70n, none: null, t: tuple(1, 'two'), yes: true };
  await connection.send(value);
  assert.deepEqual(await peer.next(), {
    received: "{'n': 1, 'f': 1.5, 's': 'h\u00e9', 'b': b'\\x00\\xff', 'l': [1, 2], 'big': 1180591620717411303424, 'none': None, 't': (1, 'two'), 'yes': True}",
  });
  const back = await connection.recv<Map<string, unknown>>();
  assert.equal(back.get('big'), 2n ** 70n);
  assert.deepEqual(back.get('l'), [1, 2]);
  await connection.send('quit');
  assert.deepEqual(await peer.next(), { quit: true });
}

describe('multiprocessing.connection interoperability', () => {
  for (const version of versions) {
    it(`Python ${version} Listener, multiproc Client: the handshake and bytes both ways, 64 MiB included`, async () => {
      const peer = pythonPeer(version, ['listen', JSON.stringify(['127.0.0.1', 0]), keyHex, 'bytes']);
      try {
        const address = addressOf(await peer.next());
        await using connection = await Client(address, { authkey: key, maxMessageSize: 64 << 20 });
        assert.deepEqual(await peer.next(), { connected: true, version });
        await echoSession(connection, version);
        assert.deepEqual(await peer.next(), { quit: true });
        await peer.end();
      } finally {
        peer.child.kill('SIGKILL');
      }
    });

    it(`multiproc Listener, Python ${version} Client: the handshake and bytes both ways, 64 MiB included`, async () => {
      await using listener = await Listener.listen(['127.0.0.1', 0], { authkey: key, maxMessageSize: 64 << 20 });
      const peer = pythonPeer(version, ['connect', JSON.stringify(listener.address), keyHex, 'bytes']);
      try {
        await using connection = await listener.accept({ timeout: 20_000 });
        assert.deepEqual(await peer.next(), { connected: true, version });
        await echoSession(connection, version);
        assert.deepEqual(await peer.next(), { quit: true });
        await peer.end();
      } finally {
        peer.child.kill('SIGKILL');
      }
    });

    it(`pickled values both ways with Python ${version}, Python listening and then connecting`, async () => {
      const peer = pythonPeer(version, ['listen', JSON.stringify(['127.0.0.1', 0]), keyHex, 'objects']);
      try {
        await using connection = await Client(addressOf(await peer.next()), { authkey: key });
        await objectSession(connection, peer, version);
        await peer.end();
      } finally {
        peer.child.kill('SIGKILL');
      }
      await using listener = await Listener.listen(['127.0.0.1', 0], { authkey: key });
      const client = pythonPeer(version, ['connect', JSON.stringify(listener.address), keyHex, 'objects']);
      try {
        await using connection = await listener.accept({ timeout: 20_000 });
        await objectSession(connection, client, version);
        await client.end();
      } finally {
        client.child.kill('SIGKILL');
      }
    });

    it(`Python ${version} and multiproc answer each other's legacy challenge`, async () => {
      // A multiproc client challenging in the 3.11 form; a 3.12+ Python answers it with a raw HMAC-MD5 too.
      const peer = pythonPeer(version, ['listen', JSON.stringify(['127.0.0.1', 0]), keyHex, 'bytes']);
      try {
        await using connection = await Client(addressOf(await peer.next()), { authkey: key, digest: 'legacy' });
        assert.equal(text(await connection.recvBytes()), `hello from ${version}`);
        await connection.sendBytes(bytes('quit'));
        await peer.end();
      } finally {
        peer.child.kill('SIGKILL');
      }
      await using listener = await Listener.listen(['127.0.0.1', 0], { authkey: key, digest: 'legacy' });
      const back = pythonPeer(version, ['connect', JSON.stringify(listener.address), keyHex, 'bytes']);
      try {
        await using connection = await listener.accept({ timeout: 20_000 });
        assert.equal(text(await connection.recvBytes()), `hello from ${version}`);
        await connection.sendBytes(bytes('quit'));
        await back.end();
      } finally {
        back.child.kill('SIGKILL');
      }
    });

    it(`a wrong key fails on both sides, Python ${version} listening and connecting, and nothing hangs`, async () => {
      const peer = pythonPeer(version, ['listen', JSON.stringify(['127.0.0.1', 0]), keyHex, 'bytes']);
      try {
        await rejectsWithCode(Client(addressOf(await peer.next()), { authkey: bytes('wrong') }), 'ERR_MP_AUTHENTICATION');
        assert.deepEqual(await peer.next(), { error: 'AuthenticationError', message: 'digest received was wrong' });
        await peer.end();
      } finally {
        peer.child.kill('SIGKILL');
      }
      await using listener = await Listener.listen(['127.0.0.1', 0], { authkey: bytes('wrong') });
      const accepting = rejectsWithCode(listener.accept({ timeout: 20_000 }), 'ERR_MP_AUTHENTICATION');
      const client = pythonPeer(version, ['connect', JSON.stringify(listener.address), keyHex, 'bytes']);
      try {
        await accepting;
        assert.deepEqual(await client.next(), { error: 'AuthenticationError', message: 'digest sent was rejected' });
        await client.end();
      } finally {
        client.child.kill('SIGKILL');
      }
    });
  }

  it('writes the header each Python version writes, for every size (the 12-byte form only past 2^31 - 1 bytes)', async () => {
    const sizes = [0, 3, 16384, 16385, 64 << 20, 2 ** 31 - 1, 2 ** 31, 2 ** 40];
    for (const version of versions) {
      const result = await finish(spawn(pythonFor(version), [pythonScript('connection_headers.py'), ...sizes.map(String)]), 30_000);
      assert.equal(result.code, 0, result.stderr);
      const headers = JSON.parse(result.stdout) as Record<string, string>;
      for (const size of sizes) assert.equal(Buffer.from(encodeHeader(size)).toString('hex'), headers[size], `Python ${version}, ${size} bytes`);
    }
  });

  it('drops a Python peer that connects and says nothing, after sending it a modern challenge', async () => {
    await using listener = await Listener.listen(['127.0.0.1', 0], { authkey: key, authTimeout: 300 });
    const accepting = rejectsWithCode(listener.accept({ timeout: 20_000 }), 'ERR_MP_AUTHENTICATION_TIMEOUT');
    const peer = pythonPeer('3.11', ['silent-client', JSON.stringify(listener.address)]);
    try {
      assert.deepEqual(await peer.next(), { connected: true });
      await accepting;
      const event = await peer.next();
      assert.equal(event['eof'], true);
      const received = Buffer.from(event['received'] as string, 'hex');
      assert.equal(received.length, 4 + 59, 'one challenge frame and nothing after it');
      assert.equal(received.readInt32BE(0), 59);
      assert.equal(received.subarray(4, 23).toString('latin1'), '#CHALLENGE#{sha256}');
      await peer.end();
    } finally {
      peer.child.kill('SIGKILL');
    }
  });

  it('gives up on a Python server that accepts and says nothing, after authTimeout', async () => {
    const peer = pythonPeer('3.12', ['silent-server', JSON.stringify(['127.0.0.1', 0])]);
    try {
      const address = addressOf(await peer.next());
      await rejectsWithCode(Client(address, { authkey: key, authTimeout: 300 }), 'ERR_MP_AUTHENTICATION_TIMEOUT');
      // The responder speaks second: it sent nothing, and closed.
      assert.deepEqual(await peer.next(), { eof: true, received: '' });
      await peer.end();
    } finally {
      peer.child.kill('SIGKILL');
    }
  });

  it('over a Unix socket file, Python 3.11 listening, then multiproc listening for Python 3.13', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mp-python-unix-'));
    try {
      const file = path.join(dir, 'python.sock');
      const peer = pythonPeer('3.11', ['listen', JSON.stringify(file), keyHex, 'bytes']);
      try {
        assert.equal(addressOf(await peer.next()), file);
        await using connection = await Client(file, { authkey: key });
        assert.equal(text(await connection.recvBytes()), 'hello from 3.11');
        await connection.sendBytes(bytes('quit'));
        await peer.end();
      } finally {
        peer.child.kill('SIGKILL');
      }
      assert.equal(existsSync(file), false, 'Python removed its socket file');
      await using listener = await Listener.listen(path.join(dir, 'multiproc.sock'), { authkey: key });
      const client = pythonPeer('3.13', ['connect', JSON.stringify(listener.address), keyHex, 'bytes']);
      try {
        await using connection = await listener.accept({ timeout: 20_000 });
        assert.equal(text(await connection.recvBytes()), 'hello from 3.13');
        await connection.sendBytes(bytes('quit'));
        await client.end();
      } finally {
        client.child.kill('SIGKILL');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('over an abstract Unix socket, Python 3.13 listening, then multiproc listening for Python 3.12', async () => {
    const name = `\0mp-python-${process.pid}`;
    const peer = pythonPeer('3.13', ['listen', JSON.stringify(name), keyHex, 'bytes']);
    try {
      assert.equal(addressOf(await peer.next()), name);
      await using connection = await Client(name, { authkey: key });
      assert.equal(text(await connection.recvBytes()), 'hello from 3.13');
      await connection.sendBytes(bytes('over the abstract socket'));
      assert.equal(text(await connection.recvBytes()), 'over the abstract socket');
      await connection.sendBytes(bytes('quit'));
      await peer.end();
    } finally {
      peer.child.kill('SIGKILL');
    }
    await using listener = await Listener.listen(`${name}-2`, { authkey: key });
    const client = pythonPeer('3.12', ['connect', JSON.stringify(listener.address), keyHex, 'bytes']);
    try {
      await using connection = await listener.accept({ timeout: 20_000 });
      assert.equal(text(await connection.recvBytes()), 'hello from 3.12');
      await connection.sendBytes(bytes('quit'));
      await client.end();
    } finally {
      client.child.kill('SIGKILL');
    }
  });

  it('the 12-byte header form, each way: Python reads it from multiproc, multiproc reads it from Python', async () => {
    // multiproc's long header (as it writes past 2^31 - 1 bytes) on a 5-byte payload, to a Python Listener.
    const peer = pythonPeer('3.11', ['listen', JSON.stringify(['127.0.0.1', 0]), '-', 'bytes']);
    try {
      const [host, port] = addressOf(await peer.next()) as [string, number];
      const socket = connect(port, host);
      await once(socket, 'connect');
      const reader = new FrameReader(1 << 20);
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
      socket.write(new Uint8Array([...encodeLongHeader(5), ...bytes('hello')]));
      const deadline = Date.now() + 20_000;
      while (reader.count < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(text(reader.take()!), 'hello from 3.11');
      assert.equal(text(reader.take()!), 'hello', 'Python read the long form and echoed the payload');
      socket.end(new Uint8Array([0, 0, 0, 4, ...bytes('quit')]));
      await peer.end();
      socket.destroy();
    } finally {
      peer.child.kill('SIGKILL');
    }
    await using listener = await Listener.listen(['127.0.0.1', 0]);
    const raw = pythonPeer('3.13', ['raw-long-frame', JSON.stringify(listener.address)]);
    try {
      await using connection = await listener.accept({ timeout: 20_000 });
      assert.equal(text(await connection.recvBytes()), 'hello');
      assert.equal(text(await connection.recvBytes()), 'end');
      connection.close();
      assert.deepEqual(await raw.next(), { eof: true, received: '' });
      await raw.end();
    } finally {
      raw.child.kill('SIGKILL');
    }
  });

  it('an empty authkey: a Python 3.13 Listener runs the handshake, 3.11 skips it and the multiproc client refuses', async () => {
    const modern = pythonPeer('3.13', ['listen', JSON.stringify(['127.0.0.1', 0]), '', 'bytes']);
    try {
      await using connection = await Client(addressOf(await modern.next()), { authkey: new Uint8Array(0) });
      assert.equal(text(await connection.recvBytes()), 'hello from 3.13');
      await connection.sendBytes(bytes('quit'));
      await modern.end();
    } finally {
      modern.child.kill('SIGKILL');
    }
    const legacy = pythonPeer('3.11', ['listen', JSON.stringify(['127.0.0.1', 0]), '', 'bytes']);
    try {
      // 3.11 sends its greeting where a challenge belongs.
      await rejectsWithCode(Client(addressOf(await legacy.next()), { authkey: new Uint8Array(0) }), 'ERR_MP_AUTHENTICATION');
      assert.deepEqual(await legacy.next(), { connected: true, version: '3.11' });
      assert.deepEqual(await legacy.next(), { eof: true });
      await legacy.end();
    } finally {
      legacy.child.kill('SIGKILL');
    }
  });
});
