// multiproc's side of bench/connection.bench.ts, in a fresh process: a Listener, an echo Client in a child
// process, N timed round trips of a 64-byte message (sendBytes/recvBytes) or a small object (send/recv).
// Modes `blocking-bytes` and `blocking-objects` do the same on the blocking path (BlockingListener, connectSync).
// Mode `raw` is the floor: the same 68 bytes through bare net.Sockets, echoed from the 'data' event.
import { spawn } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { BlockingListener, Client, connectSync, Listener } from '../src/index.js';

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

/** The blocking path's echo: a connectSync() connection, every call blocking, as a Python script's. */
function blockingEcho(port: number, mode: string): void {
  const connection = connectSync(['127.0.0.1', port], { authkey: key });
  try {
    for (;;) {
      if (mode === 'bytes') connection.sendBytes(connection.recvBytes());
      else connection.send(connection.recv());
    }
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_MP_CONNECTION_EOF') throw error;
  } finally {
    connection.close();
  }
}

/** Round trips on the blocking path: a BlockingListener here, a blocking echo in the child. */
async function blockingMain(mode: string, n: number): Promise<void> {
  using listener = BlockingListener.listen(['127.0.0.1', 0], { authkey: key });
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'echo', String(listener.address[1]), `blocking-${mode}`], { stdio: 'inherit' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const connection = listener.accept({ timeout: 30_000 });
  const roundTrip = mode === 'bytes'
    ? (): unknown => (connection.sendBytes(message), connection.recvBytes())
    : (): unknown => (connection.send(value), connection.recv());
  for (let i = 0; i < Math.min(n, 1000); i++) roundTrip();
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    roundTrip();
    times[i] = performance.now() - start;
  }
  connection.close();
  await exited;
  report(times.sort());
}

function rawEcho(port: number): void {
  const socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => socket.write(chunk));
  socket.on('error', () => {});
  socket.on('end', () => socket.destroy());
}

async function rawMain(n: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'echo', String((server.address() as AddressInfo).port), 'raw'], { stdio: 'inherit' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const socket = await new Promise<Socket>((resolve) => server.once('connection', resolve));
  socket.setNoDelay(true);
  const frame = new Uint8Array([0, 0, 0, 64, ...message]);
  let got: () => void = () => {};
  let have = 0;
  socket.on('data', (chunk: Buffer) => {
    have += chunk.length;
    if (have >= frame.length) {
      have -= frame.length;
      got();
    }
  });
  const roundTrip = (): Promise<void> => new Promise<void>((resolve) => {
    got = resolve;
    socket.write(frame);
  });
  for (let i = 0; i < Math.min(n, 1000); i++) await roundTrip();
  report(await timeAll(n, roundTrip));
  socket.end();
  server.close();
  await exited;
}

async function timeAll(n: number, roundTrip: () => Promise<unknown>): Promise<Float64Array> {
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await roundTrip();
    times[i] = performance.now() - start;
  }
  return times.sort();
}

function report(times: Float64Array): void {
  const sum = times.reduce((a, b) => a + b, 0);
  console.log(JSON.stringify({ medianUs: times[times.length >> 1]! * 1000, meanUs: (sum / times.length) * 1000 }));
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
  const times = await timeAll(n, roundTrip);
  connection.close();
  await exited;
  report(times);
}

// `echo PORT MODE` in the child; `MODE N` in the measuring process.
const [command, first, second] = process.argv.slice(2);
if (command === 'echo') {
  if (second === 'raw') rawEcho(Number(first));
  else if (second!.startsWith('blocking-')) blockingEcho(Number(first), second!.slice('blocking-'.length));
  else await echo(Number(first), second!);
} else if (command!.startsWith('blocking-')) {
  await blockingMain(command!.slice('blocking-'.length), Number(first));
} else if (command === 'raw') {
  await rawMain(Number(first));
} else {
  await main(command!, Number(first));
}
