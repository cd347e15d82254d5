// Listener, Client and SocketConnection between two multiproc ends (and raw sockets playing a bad peer):
// framing, the handshake both ways, deadlines, limits, close, poll and wait.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { BufferTooShortError, Client, Listener, Pipe, SocketConnection, tuple, Tuple, wait, type Address, type ListenerOptions } from '../src/index.js';
import { encodeFrame, encodeLongHeader, FrameReader } from '../src/connection/framing.js';
import { createResponse } from '../src/connection/auth.js';
import { rejectsWithCode } from './helpers/codes.js';
import { finish, firstLine, fixture, runNode, startNode } from './helpers/spawn.js';

const key = new TextEncoder().encode('the key');
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const bytes = (value: string): Uint8Array => new TextEncoder().encode(value);
const dir = mkdtempSync(path.join(tmpdir(), 'mp-conn-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function pair(address: Address = ['127.0.0.1', 0], options: ListenerOptions = { authkey: key }): Promise<[Listener, SocketConnection, SocketConnection]> {
  const listener = await Listener.listen(address, options);
  const [server, client] = await Promise.all([listener.accept({ timeout: 10_000 }), Client(listener.address, options)]);
  return [listener, server, client];
}

/** A raw socket to `address`, with everything it receives collected and its end observed. */
async function raw(address: Address): Promise<{ socket: Socket; frames: () => Uint8Array[]; ended: Promise<unknown> }> {
  const socket = typeof address === 'string' ? connect(address) : connect(address[1], address[0]);
  await once(socket, 'connect');
  const reader = new FrameReader(1 << 20);
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  const ended = new Promise((resolve) => socket.once('close', resolve));
  socket.on('error', () => {});
  const frames = (): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let frame = reader.take(); frame !== undefined; frame = reader.take()) out.push(frame);
    return out;
  };
  return { socket, frames, ended };
}

function withTimeout<T>(promise: Promise<T>, ms = 10_000, what = 'the operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms))),
  ]);
}

describe('Listener and Client, multiproc at both ends', () => {
  for (const [name, address] of [
    ['TCP', ['127.0.0.1', 0]],
    ['a Unix socket', path.join(dir, 'a.sock')],
    ['an abstract Unix socket', `\0mp-test-${process.pid}`],
  ] as [string, Address][]) {
    it(`carries messages both ways over ${name}, with the handshake`, async () => {
      const [listener, server, client] = await pair(address);
      if (Array.isArray(address)) assert.ok((listener.address[1] as number) > 0, 'port 0 picks a port');
      else assert.equal(listener.address, address);
      assert.equal(listener.family, Array.isArray(address) ? 'AF_INET' : 'AF_UNIX');
      assert.deepEqual(listener.lastAccepted, Array.isArray(address) ? ['127.0.0.1', (listener.lastAccepted as [string, number])[1]] : '');
      const data = bytes('0123456789');
      await client.sendBytes(data, 2, 5);
      await client.sendBytes(new Uint8Array(0));
      await client.sendBytes(new Uint16Array([0x4241]).buffer);
      assert.equal(text(await server.recvBytes()), '23456');
      assert.equal((await server.recvBytes()).length, 0);
      assert.equal(text(await server.recvBytes()), 'AB');
      const sizes = [1, 16384, 16385, 70_000, 3 << 20];
      for (const size of sizes) {
        const message = new Uint8Array(size).map((_, i) => i % 251);
        void server.sendBytes(message);
        const got = await client.recvBytes();
        assert.equal(got.length, size);
        assert.equal(Buffer.compare(got, message), 0, `${size} bytes`);
      }
      client.close();
      server.close();
      listener.close();
      if (typeof address === 'string' && !address.startsWith('\0')) assert.equal(existsSync(address), false, 'close() removes the socket file');
    });
  }

  it('send() and recv() carry pickled values, and a value that cannot be pickled sends nothing', async () => {
    const [listener, server, client] = await pair();
    const value = { n: 1, f: 1.5, s: 'h\u00e9', b: new Uint8Array([0, 255]), l: [1, null, true], big: 2n ** 70n, t: tuple(1, 'two') };
    await client.send(value);
    const got = await server.recv<Map<string, unknown>>();
    assert.ok(got instanceof Map);
    assert.deepEqual([...got.keys()], Object.keys(value));
    assert.equal(got.get('big'), 2n ** 70n);
    assert.deepEqual(got.get('b'), new Uint8Array([0, 255]));
    assert.ok(got.get('t') instanceof Tuple);
    await assert.rejects(client.send(() => 1), (error: { code?: string }) => typeof error.code === 'string' && error.code.startsWith('ERR_MP_PICKLE'));
    await client.sendBytes(bytes('next'));
    assert.equal(text(await server.recvBytes()), 'next', 'the failed send wrote nothing');
    const [l2, s2, c2] = await pair(['127.0.0.1', 0], { authkey: key, loadOptions: { dict: 'object' }, dumpOptions: { protocol: 2 } });
    await c2.send({ a: 1 });
    assert.deepEqual(await s2.recv(), { a: 1 });
    await assert.rejects(Listener.listen(['127.0.0.1', 0], { dumpOptions: { protocol: 9 } }), RangeError);
    for (const end of [client, server, c2, s2, listener, l2]) end.close();
  });

  it('with no address, listens on a Unix socket in a new temporary folder (removed on close), or on a free TCP port', async () => {
    const listener = await Listener.listen({ authkey: key });
    const address = listener.address as string;
    assert.equal(listener.family, 'AF_UNIX');
    assert.ok(address.startsWith(tmpdir()) && existsSync(address), address);
    const [server, client] = await Promise.all([listener.accept(), Client(address, { authkey: key })]);
    await client.sendBytes(bytes('via a temporary socket'));
    assert.equal(text(await server.recvBytes()), 'via a temporary socket');
    listener.close();
    assert.equal(existsSync(path.dirname(address)), false, 'the folder is gone');
    client.close();
    server.close();
    const tcp = await Listener.listen(undefined, { family: 'AF_INET' });
    assert.equal(tcp.address[0], '127.0.0.1');
    assert.ok((tcp.address[1] as number) > 0);
    tcp.close();
  });

  it('carries 64 MiB each way', async () => {
    const [listener, server, client] = await pair(['127.0.0.1', 0], { authkey: key, maxMessageSize: 64 << 20 });
    const big = new Uint8Array(64 << 20);
    big[0] = 1;
    big[big.length - 1] = 2;
    const [received] = await Promise.all([server.recvBytes(), client.sendBytes(big)]);
    assert.equal(received.length, big.length);
    assert.equal(Buffer.compare(received, big), 0);
    const [back] = await Promise.all([client.recvBytes(), server.sendBytes(received)]);
    assert.equal(back[back.length - 1], 2);
    client.close();
    server.close();
    listener.close();
  });

  it('speaks every digest and the legacy challenge, in any mix of the two sides', async () => {
    for (const serverDigest of ['sha256', 'legacy', 'md5', 'sha384', 'sha3_256', 'sha3_384'] as const) {
      for (const clientDigest of ['sha256', 'legacy'] as const) {
        const listener = await Listener.listen(['127.0.0.1', 0], { authkey: key, digest: serverDigest });
        const [server, client] = await Promise.all([listener.accept(), Client(listener.address, { authkey: key, digest: clientDigest })]);
        await client.sendBytes(bytes(`${serverDigest}/${clientDigest}`));
        assert.equal(text(await server.recvBytes()), `${serverDigest}/${clientDigest}`);
        client.close();
        server.close();
        listener.close();
      }
    }
  });

  it('a wrong key fails on both sides with ERR_MP_AUTHENTICATION, and no connection is handed out', async () => {
    const listener = await Listener.listen(['127.0.0.1', 0], { authkey: key });
    const accepting = rejectsWithCode(listener.accept(), 'ERR_MP_AUTHENTICATION');
    await rejectsWithCode(Client(listener.address, { authkey: bytes('another key') }), 'ERR_MP_AUTHENTICATION');
    await accepting;
    // The listener goes on: the next client with the right key gets in.
    const [server, client] = await Promise.all([listener.accept(), Client(listener.address, { authkey: key })]);
    await server.sendBytes(bytes('ok'));
    assert.equal(text(await client.recvBytes()), 'ok');
    client.close();
    server.close();
    listener.close();
  });

  it('a challenger that rejects says #FAILURE# and closes, reading nothing more', async () => {
    const listener = await Listener.listen(['127.0.0.1', 0], { authkey: key });
    const accepting = rejectsWithCode(listener.accept(), 'ERR_MP_AUTHENTICATION');
    const peer = await raw(listener.address);
    await withTimeout(new Promise<void>((resolve) => peer.socket.once('data', () => resolve())));
    const [challenge] = peer.frames();
    assert.equal(text(challenge!.subarray(0, 19)), '#CHALLENGE#{sha256}');
    assert.equal(challenge!.length, 59);
    // A wrong answer, then a message that must never be read.
    peer.socket.write(new Uint8Array([...encodeFrame(new Uint8Array(16)), ...encodeFrame(bytes('ignored'))]));
    await accepting;
    await withTimeout(peer.ended, 10_000, 'the server closing the socket');
    assert.deepEqual(peer.frames().map(text), ['#FAILURE#']);
    await rejectsWithCode(listener.accept({ timeout: 50 }), 'ERR_MP_CONNECTION_TIMEOUT');
    listener.close();
  });

  it('holds a peer not yet authenticated to 256-byte messages, and takes a message sent right after the handshake', async () => {
    const listener = await Listener.listen(['127.0.0.1', 0], { authkey: key });
    const refused = assert.rejects(listener.accept(), (error: { code?: string; cause?: { code?: string; limit?: number } }) =>
      error.code === 'ERR_MP_AUTHENTICATION' && error.cause?.code === 'ERR_MP_MESSAGE_TOO_LARGE' && error.cause.limit === 256);
    const greedy = await raw(listener.address);
    // Instead of an answer, a header announcing 1 MiB (within maxMessageSize): refused from the header.
    greedy.socket.write(new Uint8Array([0, 0x10, 0, 0]));
    await refused;
    await withTimeout(greedy.ended, 10_000, 'the listener dropping the peer');
    // A client that sends its verdict and its first (1000-byte) message in one write.
    const peer = await raw(listener.address);
    const next = async (): Promise<Uint8Array> => {
      for (;;) {
        const [frame] = peer.frames();
        if (frame !== undefined) return frame;
        await withTimeout(once(peer.socket, 'data'));
      }
    };
    const challenge = await next();
    peer.socket.write(encodeFrame(createResponse(key, challenge.subarray(11))));
    assert.equal(text(await next()), '#WELCOME#');
    const mine = new Uint8Array(20).fill(3);
    peer.socket.write(encodeFrame(new Uint8Array([...bytes('#CHALLENGE#'), ...mine])));
    assert.equal(Buffer.from(await next()).toString('hex'), Buffer.from(createResponse(key, mine)).toString('hex'));
    peer.socket.write(new Uint8Array([...encodeFrame(bytes('#WELCOME#')), ...encodeFrame(new Uint8Array(1000).fill(5))]));
    const server = await listener.accept({ timeout: 10_000 });
    const first = await server.recvBytes();
    assert.equal(first.length, 1000);
    assert.equal(first[999], 5);
    server.close();
    peer.socket.destroy();
    listener.close();
  });

  it('drops a peer that connects and says nothing after authTimeout, on both sides', async () => {
    const listener = await Listener.listen(['127.0.0.1', 0], { authkey: key, authTimeout: 200 });
    const accepting = rejectsWithCode(listener.accept(), 'ERR_MP_AUTHENTICATION_TIMEOUT');
    const silent = await raw(listener.address);
    await accepting;
    await withTimeout(silent.ended, 10_000, 'the listener dropping the silent peer');
    listener.close();
    // A listener with no key never challenges: a client expecting a challenge gives up after its deadline.
    const open = await Listener.listen(['127.0.0.1', 0]);
    const serverSide = open.accept();
    await rejectsWithCode(Client(open.address, { authkey: key, authTimeout: 200 }), 'ERR_MP_AUTHENTICATION_TIMEOUT');
    const server = await serverSide;
    await rejectsWithCode(server.recvBytes(null, { timeout: 10_000 }), 'ERR_MP_CONNECTION_EOF');
    server.close();
    open.close();
  });

  it('one silent peer does not hold up a good one', async () => {
    const listener = await Listener.listen(['127.0.0.1', 0], { authkey: key, authTimeout: 5000 });
    const silent = await raw(listener.address);
    const [server, client] = await Promise.all([listener.accept({ timeout: 4000 }), Client(listener.address, { authkey: key })]);
    await client.sendBytes(bytes('through'));
    assert.equal(text(await server.recvBytes()), 'through');
    listener.close();
    await withTimeout(silent.ended, 10_000, 'close() dropping the handshake in progress');
    client.close();
    server.close();
  });

  it('refuses a 2^40-byte announcement with ERR_MP_MESSAGE_TOO_LARGE and closes, after the messages before it', async () => {
    const listener = await Listener.listen(['127.0.0.1', 0]);
    const accepting = listener.accept();
    const peer = await raw(listener.address);
    const server = await accepting;
    peer.socket.write(new Uint8Array([...encodeFrame(bytes('before')), ...encodeLongHeader(2 ** 40), 1, 2, 3]));
    assert.equal(text(await server.recvBytes()), 'before');
    await assert.rejects(server.recvBytes(), (error: { code?: string; size?: number }) => error.code === 'ERR_MP_MESSAGE_TOO_LARGE' && error.size === 2 ** 40);
    await withTimeout(peer.ended, 10_000, 'the connection closing');
    await rejectsWithCode(server.sendBytes(bytes('x')), 'ERR_MP_MESSAGE_TOO_LARGE');
    server.close();
    listener.close();
  });

  it('maxMessageSize and recvBytes(maxlength) refuse from the header', async () => {
    const [listener, server, client] = await pair(['127.0.0.1', 0], { authkey: key, maxMessageSize: 1000 });
    await client.sendBytes(new Uint8Array(1000));
    assert.equal((await server.recvBytes()).length, 1000);
    const waiting = server.recvBytes();
    await client.sendBytes(new Uint8Array(1001));
    await rejectsWithCode(waiting, 'ERR_MP_MESSAGE_TOO_LARGE');
    // The refusing side closed: the other sees the end of the stream, or a reset if bytes were left unread.
    await assert.rejects(client.recvBytes(null, { timeout: 10_000 }), (error: { code?: string }) => ['ERR_MP_CONNECTION_EOF', 'ERR_MP_CONNECTION_BROKEN'].includes(error.code ?? ''));
    client.close();
    server.close();
    const [listener2, server2, client2] = await pair();
    await client2.sendBytes(new Uint8Array(300));
    await rejectsWithCode(server2.recvBytes(256), 'ERR_MP_MESSAGE_TOO_LARGE');
    await rejectsWithCode(server2.recvBytes(), 'ERR_MP_MESSAGE_TOO_LARGE');
    client2.close();
    server2.close();
    listener.close();
    listener2.close();
  });

  it('EOF between messages is ERR_MP_CONNECTION_EOF after what was sent; inside one, ERR_MP_CONNECTION_TRUNCATED', async () => {
    const [listener, server, client] = await pair();
    await client.sendBytes(bytes('last words'));
    client.close();
    assert.equal(text(await server.recvBytes()), 'last words');
    await rejectsWithCode(server.recvBytes(), 'ERR_MP_CONNECTION_EOF');
    assert.equal(await server.poll(0), true, 'poll() is true at the end of the stream, as recv would not wait');
    await rejectsWithCode(server.recvBytes(), 'ERR_MP_CONNECTION_EOF');
    server.close();
    const accepting = listener.accept();
    listener.close();
    await rejectsWithCode(accepting, 'ERR_MP_LISTENER_CLOSED');
    const open = await Listener.listen(['127.0.0.1', 0]);
    const accepted = open.accept();
    const peer = await raw(open.address);
    const torn = await accepted;
    peer.socket.end(new Uint8Array([0, 0, 0, 10, 1, 2, 3]));
    await rejectsWithCode(torn.recvBytes(null, { timeout: 10_000 }), 'ERR_MP_CONNECTION_TRUNCATED');
    torn.close();
    open.close();
  });

  it('reads the 12-byte header form for any size', async () => {
    const open = await Listener.listen(['127.0.0.1', 0]);
    const accepted = open.accept();
    const peer = await raw(open.address);
    const server = await accepted;
    peer.socket.write(new Uint8Array([...encodeLongHeader(5), ...bytes('hello')]));
    assert.equal(text(await server.recvBytes()), 'hello');
    peer.socket.destroy();
    server.close();
    open.close();
  });

  it('close() rejects a pending recv and poll at once with ERR_MP_CONNECTION_CLOSED, and later calls too', async () => {
    const [listener, server, client] = await pair();
    const receiving = server.recvBytes();
    const polling = server.poll(null);
    server.close();
    await rejectsWithCode(receiving, 'ERR_MP_CONNECTION_CLOSED');
    await rejectsWithCode(polling, 'ERR_MP_CONNECTION_CLOSED');
    await rejectsWithCode(server.recvBytes(), 'ERR_MP_CONNECTION_CLOSED');
    await rejectsWithCode(server.sendBytes(bytes('x')), 'ERR_MP_CONNECTION_CLOSED');
    assert.equal(server.closed, true);
    await rejectsWithCode(client.recvBytes(null, { timeout: 10_000 }), 'ERR_MP_CONNECTION_EOF');
    client.close();
    listener.close();
    await rejectsWithCode(listener.accept(), 'ERR_MP_LISTENER_CLOSED');
  });

  it('a timed-out or aborted recv loses nothing: the message goes to the next call', async () => {
    const [listener, server, client] = await pair();
    await rejectsWithCode(server.recvBytes(null, { timeout: 30 }), 'ERR_MP_CONNECTION_TIMEOUT');
    await rejectsWithCode(server.recvBytes(null, { timeout: 0 }), 'ERR_MP_CONNECTION_TIMEOUT');
    const controller = new AbortController();
    const aborted = server.recvBytes(null, { signal: controller.signal });
    controller.abort(new Error('stop'));
    await assert.rejects(aborted, /stop/);
    await assert.rejects(server.recvBytes(null, { signal: controller.signal }), /stop/);
    await client.sendBytes(bytes('kept'));
    assert.equal(await server.poll(10_000), true);
    assert.equal(text(await server.recvBytes()), 'kept');
    assert.equal(await server.poll(), false);
    assert.equal(await server.poll(20), false);
    assert.equal(await server.poll(-5), false);
    client.close();
    server.close();
    listener.close();
  });

  it('sends from a SharedArrayBuffer and from a typed array at a byte offset', async () => {
    const [listener, server, client] = await pair();
    const shared = new SharedArrayBuffer(100_000);
    new Uint8Array(shared)[99_999] = 9;
    await client.sendBytes(shared);
    await client.sendBytes(new Float64Array([1.5, 2.5]), 8);
    const big = await server.recvBytes();
    assert.equal(big.length, 100_000);
    assert.equal(big[99_999], 9);
    const half = await server.recvBytes();
    assert.equal(new DataView(half.buffer, half.byteOffset, half.length).getFloat64(0, true), 2.5);
    client.close();
    server.close();
    listener.close();
  });

  it('concurrent receives are served in call order, and concurrent sends arrive in call order', async () => {
    const [listener, server, client] = await pair();
    const receiving = [server.recvBytes(), server.recvBytes(), server.recv()];
    await Promise.all([client.sendBytes(bytes('one')), client.sendBytes(new Uint8Array(100_000).fill(2)), client.send('three')]);
    const [one, two, three] = await Promise.all(receiving);
    assert.equal(text(one as Uint8Array), 'one');
    assert.equal((two as Uint8Array).length, 100_000);
    assert.equal(three, 'three');
    client.close();
    server.close();
    listener.close();
  });

  it('an aborted accept() or Client() rejects with the reason; the connection that comes later is kept for the next accept()', async () => {
    const listener = await Listener.listen(['127.0.0.1', 0], { authkey: key });
    const controller = new AbortController();
    const accepting = listener.accept({ signal: controller.signal });
    controller.abort(new Error('not now'));
    await assert.rejects(accepting, /not now/);
    await assert.rejects(Client(listener.address, { authkey: key, signal: AbortSignal.abort(new Error('never')) }), /never/);
    const client = await Client(listener.address, { authkey: key });
    const server = await listener.accept({ timeout: 10_000 });
    await client.sendBytes(bytes('kept'));
    assert.equal(text(await server.recvBytes()), 'kept');
    client.close();
    server.close();
    listener.close();
  });

  it('recvBytesInto fills from an offset, or gives the whole message in BufferTooShortError', async () => {
    const [listener, server, client] = await pair();
    await client.sendBytes(bytes('abcd'));
    const into = new Uint8Array(8);
    assert.equal(await server.recvBytesInto(into, 3), 4);
    assert.equal(text(into.subarray(3, 7)), 'abcd');
    assert.equal(into[0], 0);
    await client.sendBytes(bytes('too long'));
    await assert.rejects(server.recvBytesInto(new Uint8Array(10), 5), (error: unknown) => {
      assert.ok(error instanceof BufferTooShortError);
      assert.equal(text(error.bytes), 'too long');
      return true;
    });
    await assert.rejects(server.recvBytesInto(into, 9), RangeError);
    client.close();
    server.close();
    listener.close();
  });

  it('wait() resolves with the ready connections (a Pipe end included), or [] after the timeout', async () => {
    const [listener, a, b] = await pair();
    const [listener2, c, d] = await pair();
    const [pipeIn, pipeOut] = Pipe();
    assert.deepEqual(await wait([a, c, pipeIn], 30), []);
    const waiting = wait([a, c, pipeIn], 10_000);
    await d.sendBytes(bytes('to c'));
    assert.deepEqual(await waiting, [c]);
    await b.sendBytes(bytes('to a'));
    await pipeOut.send('to pipe');
    await withTimeout(new Promise<void>((resolve) => {
      const check = (): void => void a.poll(0).then((ready) => (ready ? resolve() : setTimeout(check, 5)));
      check();
    }));
    assert.deepEqual(await wait([a, c, pipeIn], 0), [a, c, pipeIn]);
    assert.deepEqual(await wait([], 10), []);
    await assert.rejects(wait([], null), RangeError);
    await assert.rejects(wait([{}] as never), TypeError);
    for (const connection of [a, b, c, d, pipeIn, pipeOut]) connection.close();
    listener.close();
    listener2.close();
  });

  it('await using closes the listener and the connections', async () => {
    let closedLater: SocketConnection;
    let address: Address;
    {
      await using listener = await Listener.listen(path.join(dir, 'using.sock'), { authkey: key });
      address = listener.address;
      await using client = await Client(listener.address, { authkey: key });
      await using server = await listener.accept();
      closedLater = server;
      await client.sendBytes(bytes('x'));
      assert.equal(text(await server.recvBytes()), 'x');
    }
    assert.equal(closedLater.closed, true);
    assert.equal(existsSync(address as string), false);
    await rejectsWithCode(Client(address, { authkey: key }), 'ERR_MP_CONNECTION_FAILED');
  });

  it('an idle open connection lets the program end; a waiting accept() or recv keeps it running', async () => {
    const idle = await runNode(fixture('connection-lifetime.js'), ['idle'], 20_000);
    assert.equal(idle.code, 0, idle.stderr);
    assert.equal(idle.stdout.trim(), 'done, everything left open');
    const socketPath = path.join(dir, 'lifetime.sock');
    const child = startNode(fixture('connection-lifetime.js'), ['serve', socketPath]);
    const finished = finish(child, 20_000);
    assert.equal(await firstLine(child), 'ready');
    const client = await Client(socketPath);
    const accepted = await firstLine(child);
    assert.equal(accepted, 'accepted');
    await client.sendBytes(bytes('still here'));
    const result = await finished;
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split('\n'), ['ready', 'accepted', 'still here']);
    client.close();
  });

  it('rejects bad arguments with TypeError and RangeError, and an address in use with ERR_MP_LISTEN_FAILED', async () => {
    await assert.rejects(Listener.listen(42 as never), TypeError);
    await assert.rejects(Listener.listen(['127.0.0.1', 70000]), RangeError);
    await assert.rejects(Listener.listen([1, 2] as never), TypeError);
    await assert.rejects(Listener.listen('', {}), TypeError);
    await assert.rejects(Listener.listen(['127.0.0.1', 0], { authkey: 'key' as never }), TypeError);
    await assert.rejects(Listener.listen(['127.0.0.1', 0], { family: 'AF_UNIX' }), TypeError);
    await assert.rejects(Listener.listen(['127.0.0.1', 0], { family: 'AF_PIPE' as never }), TypeError);
    await assert.rejects(Listener.listen(['127.0.0.1', 0], { maxMessageSize: -1 }), RangeError);
    await assert.rejects(Listener.listen(['127.0.0.1', 0], { authTimeout: Number.NaN }), RangeError);
    await assert.rejects(Listener.listen(['127.0.0.1', 0], { digest: 'sha512' as never }), TypeError);
    await assert.rejects(Client(['127.0.0.1', 1], { authkey: [1, 2] as never }), TypeError);
    await assert.rejects(Client(null as never), TypeError);
    await rejectsWithCode(Client(path.join(dir, 'nobody.sock')), 'ERR_MP_CONNECTION_FAILED');
    const listener = await Listener.listen(['127.0.0.1', 0]);
    await rejectsWithCode(Listener.listen(listener.address), 'ERR_MP_LISTEN_FAILED');
    const accepting = listener.accept();
    const client = await Client(listener.address);
    const server = await accepting;
    await assert.rejects(client.sendBytes('text' as never), TypeError);
    await assert.rejects(client.sendBytes(new Uint8Array(4), 5), RangeError);
    await assert.rejects(client.sendBytes(new Uint8Array(4), 1, 4), RangeError);
    await assert.rejects(client.recvBytes(-1), RangeError);
    await assert.rejects(client.recvBytes(null, { timeout: -1 }), RangeError);
    await assert.rejects(client.poll('soon' as never), TypeError);
    await assert.rejects(listener.accept({ signal: 'no' as never }), TypeError);
    client.close();
    server.close();
    listener.close();
  });
});
