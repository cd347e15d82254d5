// multiproc's side of bench/connection.bench.ts, in a fresh process: a Listener, an echo Client in a child
// process, N timed round trips of a 64-byte message (sendBytes/recvBytes) or a small object (send/recv).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client, Listener } from '../src/index.js';

const key = new TextEncoder().encode('bench key');
const message = Uint8Array.from({ length: 64 }, (_, i) => i);
const value = { id: 7, name: 'task', args: [1, 2.5, null, true], tag: new Uint8Array([0, 1]) };

async function echo(port: number, mode: string): Promise<void> {
  const connection = await Client(['127.0.0.1', port], { authkey: key });
  try {
    for (;;) {
      if (mode === 'bytes') await connection.sendBytes(await connection.recvBytes());
      else await connection.send(await connection.recv());
    }
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_MP_CONNECTION_EOF') throw error;
  } finally {
    connection.close();
  }
}

async function main(mode: string, n: number): Promise<void> {
  await using listener = await Listener.listen(['127.0.0.1', 0], { authkey: key });
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'echo', String(listener.address[1]), mode], { stdio: 'inherit' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const connection = await listener.accept({ timeout: 30_000 });
  const roundTrip = mode === 'bytes'
    ? async (): Promise<unknown> => (await connection.sendBytes(message), connection.recvBytes())
    : async (): Promise<unknown> => (await connection.send(value), connection.recv());
  for (let i = 0; i < Math.min(n, 1000); i++) await roundTrip();
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await roundTrip();
    times[i] = performance.now() - start;
  }
  connection.close();
  await exited;
  times.sort();
  const sum = times.reduce((a, b) => a + b, 0);
  console.log(JSON.stringify({ medianUs: times[n >> 1]! * 1000, meanUs: (sum / n) * 1000 }));
}

// `echo PORT MODE` in the child; `MODE N` in the measuring process.
const [command, first, second] = process.argv.slice(2);
if (command === 'echo') await echo(Number(first), second!);
else await main(command!, Number(first));
