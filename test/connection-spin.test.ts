// SocketConnection's `spin`: a waiting recv or poll has the event loop try for events before it sleeps, takes each
// message as it comes (never waiting out the spin), and gives the spin back however the call ends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { Client, Listener, type Address, type SocketConnection } from '../src/index.js';
import { cpuMsDuring } from './helpers/cpu.js';
import { rejectsWithCode } from './helpers/codes.js';

const key = new TextEncoder().encode('the key');
const oneSecond = 1_000_000;
const indexUrl = new URL('../src/index.js', import.meta.url).href;

async function pair(spin: number): Promise<[Listener, SocketConnection, SocketConnection]> {
  const listener = await Listener.listen(['127.0.0.1', 0], { authkey: key, spin });
  const [server, client] = await Promise.all([listener.accept({ timeout: 10_000 }), Client(listener.address, { authkey: key, spin })]);
  return [listener, server, client];
}

/** Asserts that this process spins no more: a spin still held would burn the 300 ms between the touches. */
async function spinsNoMore(after: string): Promise<void> {
  const used = await cpuMsDuring(300);
  assert.ok(used < 80, `after ${after}: ${used.toFixed(0)} ms of CPU in 300 ms of waiting`);
}

describe('SocketConnection spin', () => {
  it('spins while a recv or poll waits, and gives the spin back when the call ends in any way', async () => {
    const [listener, server, client] = await pair(oneSecond);
    try {
      const received = server.recvBytes();
      const waitingMs = await cpuMsDuring(300);
      assert.ok(waitingMs > 100, `a recv waiting with a spin of a second: ${waitingMs.toFixed(0)} ms of CPU in 300 ms`);
      await client.sendBytes(new Uint8Array([1]));
      assert.deepEqual([...(await received)], [1]);
      await spinsNoMore('a recv that got its message');

      await rejectsWithCode(server.recvBytes(null, { timeout: 30 }), 'ERR_MP_CONNECTION_TIMEOUT');
      await spinsNoMore('a recv that timed out');

      const aborting = new AbortController();
      const aborted = server.recv({ signal: aborting.signal });
      aborting.abort(new Error('not wanted'));
      await assert.rejects(aborted, /not wanted/);
      await spinsNoMore('an aborted recv');

      assert.equal(await server.poll(30), false);
      const polled = server.poll(null);
      await client.send('two');
      assert.equal(await polled, true);
      assert.equal(await server.recv(), 'two');
      await spinsNoMore('a poll that timed out and one that found a message');

      const closed = server.recv();
      const closedPoll = server.poll(null);
      server.close();
      await rejectsWithCode(closed, 'ERR_MP_CONNECTION_CLOSED');
      await rejectsWithCode(closedPoll, 'ERR_MP_CONNECTION_CLOSED');
      await spinsNoMore('a recv and a poll given up by close()');

      const atEof = client.recv();
      await rejectsWithCode(atEof, 'ERR_MP_CONNECTION_EOF');
      await spinsNoMore('a recv that met the end of the stream');
    } finally {
      server.close();
      client.close();
      listener.close();
    }
  });

  it('spin: 0 never spins', async () => {
    const [listener, server, client] = await pair(0);
    try {
      const received = server.recvBytes();
      const waitingMs = await cpuMsDuring(300);
      assert.ok(waitingMs < 80, `a recv waiting with no spin: ${waitingMs.toFixed(0)} ms of CPU in 300 ms`);
      await client.sendBytes(new Uint8Array([2]));
      assert.deepEqual([...(await received)], [2]);
    } finally {
      server.close();
      client.close();
      listener.close();
    }
  });

  it('takes each reply as it comes, in order, with a spin longer than the whole exchange', async () => {
    await using listener = await Listener.listen(['127.0.0.1', 0], { authkey: key, spin: oneSecond });
    const address: Address = listener.address;
    // An echo in another thread, each reply 5 ms after its request (past the spin's first tries, within the second).
    const echo = new Worker(
      `import { workerData } from 'node:worker_threads';
       const { Client } = await import(${JSON.stringify(indexUrl)});
       const connection = await Client(workerData.address, { authkey: workerData.key, spin: 0 });
       for (;;) {
         let value;
         try { value = await connection.recv(); } catch { break; }
         await new Promise((resolve) => setTimeout(resolve, 5));
         await connection.send(value);
       }
       connection.close();`,
      { eval: true, workerData: { address, key } },
    );
    const connection = await listener.accept({ timeout: 10_000 });
    try {
      const started = performance.now();
      const replies: number[] = [];
      for (let i = 0; i < 20; i++) {
        await connection.send(i);
        replies.push(await connection.recv<number>({ timeout: 10_000 }));
      }
      const elapsed = performance.now() - started;
      assert.deepEqual(replies, Array.from({ length: 20 }, (_, i) => i));
      // A recv that waited out its spin before taking the reply would make this take 20 s.
      assert.ok(elapsed < 10_000, `20 round trips took ${elapsed.toFixed(0)} ms`);
    } finally {
      connection.close();
      await echo.terminate();
    }
  });

  it('checks the option', async () => {
    for (const spin of [-1, Number.NaN, Infinity, 2_000_000, '5']) {
      await assert.rejects(Listener.listen(['127.0.0.1', 0], { spin: spin as number }), RangeError);
      await assert.rejects(Client(['127.0.0.1', 1], { spin: spin as number }), RangeError);
    }
  });
});
