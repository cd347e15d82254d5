import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  bytesToPacket,
  decode,
  encode,
  packetToBytes,
  registerClass,
  SharedMemory,
  trustModulesEnv,
  type Packet,
} from '../src/index.js';
import { Counter, double, Point, Point3D, Polygon, SharedVector, Temperature, tripled, ValidationError } from './fixtures/codec-classes.js';
import { fixture, startNode } from './helpers/spawn.js';

const fixturesDir = fileURLToPath(new URL('./fixtures/', import.meta.url));
const replyTimeout = 15_000;

type Reply = { ok: true; value: unknown } | { ok: false; error: Error & { code?: string } };

/** One end of a transport to a codec peer: a worker thread, or a child process over a pipe. */
interface Peer {
  send(packet: Packet): Promise<Packet>;
  sendBytes(bytes: Uint8Array): Promise<Packet>;
  close(): Promise<void>;
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no reply to ${what} within ${replyTimeout} ms`)), replyTimeout);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function threadPeer(env: NodeJS.ProcessEnv): Peer {
  const worker = new Worker(fixture('codec-peer.js'), { env });
  const waiting: ((packet: Packet) => void)[] = [];
  worker.on('message', (packet: Packet) => waiting.shift()?.(packet));
  const send = (packet: Packet): Promise<Packet> => {
    const reply = new Promise<Packet>((resolve) => waiting.push(resolve));
    worker.postMessage(packet, packet.buffers);
    return withTimeout(reply, 'a worker thread request');
  };
  return {
    send,
    sendBytes: (bytes) => send({ data: bytes, buffers: [] }),
    close: async () => {
      await worker.terminate();
    },
  };
}

function processPeer(env: NodeJS.ProcessEnv): Peer {
  const child: ChildProcess = startNode(fixture('codec-peer.js'), [], env);
  const waiting: ((packet: Packet) => void)[] = [];
  let pending = Buffer.alloc(0);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout?.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32LE(0)) {
      const length = pending.readUInt32LE(0);
      const frame = new Uint8Array(pending.subarray(4, 4 + length));
      pending = pending.subarray(4 + length);
      waiting.shift()?.(bytesToPacket(frame));
    }
  });
  const sendBytes = (bytes: Uint8Array): Promise<Packet> => {
    const reply = new Promise<Packet>((resolve) => waiting.push(resolve));
    const header = Buffer.alloc(4);
    header.writeUInt32LE(bytes.byteLength, 0);
    child.stdin?.write(Buffer.concat([header, bytes]));
    return withTimeout(reply, `a child process request (stderr: ${stderr})`);
  };
  return {
    send: (packet) => sendBytes(packetToBytes(packet)),
    sendBytes,
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.end();
      await withTimeout(exited, 'child exit');
    },
  };
}

async function request(peer: Peer, op: string, value: unknown, transfer?: ArrayBuffer[]): Promise<Reply> {
  const packet = encode({ op, value }, transfer === undefined ? {} : { transfer });
  return (await decode(await peer.send(packet))) as Reply;
}

async function ok(peer: Peer, op: string, value: unknown, transfer?: ArrayBuffer[]): Promise<unknown> {
  const reply = await request(peer, op, value, transfer);
  if (!reply.ok) throw reply.error;
  return reply.value;
}

async function failure(peer: Peer, op: string, value: unknown): Promise<Error & { code?: string }> {
  const reply = await request(peer, op, value);
  assert.equal(reply.ok, false, 'the peer reports an error');
  return (reply as { error: Error & { code?: string } }).error;
}

/** A class only this test module registers: the peers never know it. */
class OnlyHere {
  value = 1;
}
registerClass(OnlyHere, import.meta.url);
/** Said to live in modules the peer can import but which do not have it, or cannot be imported. */
class Hidden {
  value = 2;
}
registerClass(Hidden, new URL('./fixtures/codec-plain.js', import.meta.url));
class Doomed {
  value = 3;
}
registerClass(Doomed, new URL('./fixtures/codec-broken.js', import.meta.url));

const transports = [
  ['worker thread', threadPeer],
  ['child process', processPeer],
] as const;

for (const [transport, start] of transports) {
  describe(`codec over a ${transport}`, () => {
    let peer: Peer;
    let untrusting: Peer;
    before(() => {
      peer = start({ ...process.env, [trustModulesEnv]: fixturesDir });
      untrusting = start({ ...process.env, [trustModulesEnv]: '' });
    });
    after(async () => {
      await peer.close();
      await untrusting.close();
    });

    it('carries plain data both ways, as structured clone would', async () => {
      const shared = { shared: true };
      const value: Record<string, unknown> = {
        numbers: [0, -1, 2 ** 40, 1.5, -0, Number.NaN, Infinity],
        bigint: -(2n ** 100n),
        text: ['', 'short', 'é😀', 'x'.repeat(10_000)],
        date: new Date(86_400_000),
        regexp: /a+b/gi,
        map: new Map<unknown, unknown>([[1, 'one'], [{ k: 1 }, shared]]),
        set: new Set([1, 'two', shared]),
        bytes: new Uint8Array([1, 2, 3]),
        floats: new Float64Array([Math.PI]),
        view: new DataView(new ArrayBuffer(4)),
        buffer: Buffer.from('node buffer'),
        sparse: [1, , 3], // eslint-disable-line no-sparse-arrays
        a: shared,
        b: shared,
        nothing: [null, undefined, true, false],
      };
      value['self'] = value;
      const echoed = (await ok(peer, 'echo', value)) as Record<string, unknown>;
      assert.deepStrictEqual(echoed, value);
      assert.ok(Buffer.isBuffer(echoed['buffer']), 'a Buffer stays a Buffer');
      assert.equal(echoed['self'], echoed);
      assert.equal(echoed['a'], echoed['b']);
      assert.ok(echoed['map'] instanceof Map, 'a Map stays a Map (child_process IPC turns it into {})');
    });

    it('rebuilds class instances on the far side: the peer imports their module on first sight', async () => {
      const a = new Point(3, 4);
      const seen = (await ok(peer, 'inspect', [a, new Point3D(1, 2, 2), new Counter(9), Temperature.fromFahrenheit(212)])) as {
        ctor: string;
        norm?: number;
        next?: number;
        celsius?: number;
        history?: number[];
      }[];
      assert.deepStrictEqual(seen.map((s) => s.ctor), ['Point', 'Point3D', 'Counter', 'Temperature']);
      assert.equal(seen[0]!.norm, 5);
      assert.equal(seen[1]!.norm, 3, 'the subclass method ran');
      assert.equal(seen[2]!.next, 10, 'getInitArgs rebuilt the private field through the constructor');
      assert.equal(seen[3]!.celsius, 100);
      assert.deepStrictEqual(seen[3]!.history, [100], 'setState ran');
      const polygon = new Polygon('p', [a, a], new Map([['apex', a]]));
      const back = (await ok(peer, 'echo', [polygon, polygon])) as Polygon[];
      assert.ok(back[0] instanceof Polygon);
      assert.equal(back[1], back[0]);
      assert.ok(back[0].vertices[0] instanceof Point);
      assert.equal(back[0].vertices[1], back[0].vertices[0]);
      assert.equal(back[0].byLabel.get('apex'), back[0].vertices[0]);
    });

    it('sends functions by reference: the peer calls the same exported (and wrapped) function', async () => {
      assert.equal(await ok(peer, 'call', { fn: double, args: [21] }), 42);
      assert.equal(await ok(peer, 'call', { fn: tripled, args: [5] }), 15);
      assert.equal(await ok(peer, 'echo', double), double);
    });

    it('brings errors back with their class, message, remote stack, cause chain and code', async () => {
      const error = await failure(peer, 'throw', 'too long');
      assert.ok(error instanceof ValidationError);
      assert.equal(error.message, 'too long');
      assert.equal(error.field, 'title');
      assert.match(error.stack ?? '', /codec-peer\.js/, "the peer's own stack");
      assert.ok(error.cause instanceof TypeError);
      assert.equal((error.cause as { code?: string }).code, 'E_INNER');
    });

    it('sends SharedMemory by reference: the peer writes into the same segment', async () => {
      const shm = SharedMemory.create(64);
      try {
        const vector = new SharedVector(shm);
        assert.equal(await ok(peer, 'shm-write', vector), 'SharedVector');
        assert.equal(vector.values[1], 42);
      } finally {
        shm.close();
        shm.unlink();
      }
    });

    it('moves transferred buffers (no copy over a worker thread) and they come back', async () => {
      const array = new Float64Array(1024).fill(1);
      const reply = (await ok(peer, 'sum', array, [array.buffer])) as { sum: number; array: Float64Array };
      assert.equal(reply.sum, 1024);
      assert.equal(reply.array[0], -1);
      assert.equal(array.byteLength, transport === 'worker thread' ? 0 : 1024 * 8, 'over a thread the buffer moved');
    });

    it('reports what cannot travel: a closure in the reply names itself and the fix', async () => {
      const error = await failure(peer, 'closure', null);
      assert.equal(error.code, 'ERR_MP_ENCODE');
      assert.match(error.message, /arrow function `callback`.*registerFunction/);
    });

    it('rejects corrupt bytes with ERR_MP_DECODE', async () => {
      const bytes = packetToBytes(encode({ op: 'echo', value: { list: [1, 2, 3], text: 'hello' } }));
      const reply = (await decode(await peer.sendBytes(bytes.subarray(0, bytes.length - 3)))) as Reply;
      assert.equal(reply.ok, false);
      assert.equal((reply as { error: { code?: string } }).error.code, 'ERR_MP_DECODE');
      assert.equal(await ok(peer, 'echo', 'still serving'), 'still serving');
    });

    it('cannot rebuild a class registered only on the sending side, and says why', async () => {
      const onlyHere = await failure(peer, 'echo', new OnlyHere());
      assert.equal(onlyHere.code, 'ERR_MP_DECODE_UNTRUSTED_MODULE');
      assert.match(onlyHere.message, /OnlyHere.*codec-transports\.test\.js.*trustModules/);
      const hidden = await failure(peer, 'echo', new Hidden());
      assert.equal(hidden.code, 'ERR_MP_DECODE_UNKNOWN');
      assert.match(hidden.message, /`Hidden`.*codec-plain\.js.*neither registers nor exports/);
    });

    it('reports a module that fails to import on the receiving side', async () => {
      const error = await failure(peer, 'echo', new Doomed());
      assert.equal(error.code, 'ERR_MP_DECODE_IMPORT');
      assert.match(error.message, /codec-broken\.js.*failed to import.*cannot be imported/);
    });

    it('never imports a module the receiver does not trust', async () => {
      const error = await failure(untrusting, 'echo', new Point(1, 1));
      assert.equal(error.code, 'ERR_MP_DECODE_UNTRUSTED_MODULE');
      assert.match(error.message, /`Point`.*codec-classes\.js.*MULTIPROC_TRUST_MODULES/);
      assert.deepStrictEqual(await ok(untrusting, 'echo', { plain: [1] }), { plain: [1] }, 'plain data needs no trust');
    });
  });
}

export { bytesToPacket };
