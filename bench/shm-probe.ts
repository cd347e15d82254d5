// One measurement of the shared-memory benchmark, in a fresh process; prints one JSON line.
//   lifecycle N | bandwidth MIB PASSES | futex-pingpong N | send-pingpong N | (partners) futex-partner NAME N | send-partner
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { futexWait, futexWake, SharedMemory } from 'multiproc';
import { median, percentile } from './lib/stats.js';

const [mode, ...args] = process.argv.slice(2);
const self = fileURLToPath(import.meta.url);
const emit = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};

function lifecycle(n: number): void {
  const times = { create: [] as number[], attach: [] as number[], close: [] as number[], unlink: [] as number[] };
  SharedMemory.create(4096).unlink(); // start the resource tracker outside the timing
  for (let i = 0; i < n; i++) {
    let t = performance.now();
    const shm = SharedMemory.create(65536);
    times.create.push(performance.now() - t);
    t = performance.now();
    const other = SharedMemory.attach(shm.name);
    times.attach.push(performance.now() - t);
    t = performance.now();
    other.close();
    times.close.push(performance.now() - t);
    shm.close();
    t = performance.now();
    shm.unlink();
    times.unlink.push(performance.now() - t);
  }
  emit(Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v) * 1000])));
}

function bandwidth(mib: number, passes: number): void {
  const bytes = mib * 1024 * 1024;
  const source = Buffer.alloc(bytes, 7);
  using shm = SharedMemory.create(bytes);
  const target = new Uint8Array(shm.buf);
  const plain = Buffer.alloc(bytes);
  target.set(source); // touch every page once before timing
  source.copy(plain);
  let t = performance.now();
  for (let i = 0; i < passes; i++) target.set(source);
  const shared = (bytes * passes) / ((performance.now() - t) / 1000) / 1e9;
  t = performance.now();
  for (let i = 0; i < passes; i++) source.copy(plain);
  const copy = (bytes * passes) / ((performance.now() - t) / 1000) / 1e9;
  shm.unlink();
  emit({ sharedGBs: shared, bufferCopyGBs: copy });
}

async function futexPingPong(n: number): Promise<void> {
  using shm = SharedMemory.create(8);
  const word = new Int32Array(shm.buf);
  const partner = spawn(process.execPath, [self, 'futex-partner', shm.name, String(n)], { stdio: 'inherit' });
  const rtt: number[] = [];
  // 0: parent's turn, 1: partner's turn
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    Atomics.store(word, 0, 1);
    futexWake(word, 0);
    while (Atomics.load(word, 0) === 1) futexWait(word, 0, 1, 10_000);
    rtt.push(performance.now() - t);
  }
  await once(partner, 'exit');
  shm.unlink();
  emit({ medianUs: median(rtt) * 1000, p99Us: percentile(rtt, 99) * 1000 });
}

function futexPartner(name: string, n: number): void {
  using shm = SharedMemory.attach(name);
  const word = new Int32Array(shm.buf);
  for (let i = 0; i < n; i++) {
    while (Atomics.load(word, 0) === 0) futexWait(word, 0, 0, 10_000);
    Atomics.store(word, 0, 0);
    futexWake(word, 0);
  }
}

async function sendPingPong(n: number): Promise<void> {
  const partner = fork(self, ['send-partner'], { stdio: 'inherit' });
  const rtt: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const reply = once(partner, 'message');
    partner.send(i);
    await reply;
    rtt.push(performance.now() - t);
  }
  partner.disconnect();
  emit({ medianUs: median(rtt) * 1000, p99Us: percentile(rtt, 99) * 1000 });
}

switch (mode) {
  case 'lifecycle':
    lifecycle(Number(args[0]));
    break;
  case 'bandwidth':
    bandwidth(Number(args[0]), Number(args[1]));
    break;
  case 'futex-pingpong':
    await futexPingPong(Number(args[0]));
    break;
  case 'futex-partner':
    futexPartner(args[0]!, Number(args[1]));
    break;
  case 'send-pingpong':
    await sendPingPong(Number(args[0]));
    break;
  case 'send-partner':
    process.on('message', (message) => process.send?.(message));
    break;
  default:
    throw new Error(`unknown mode ${String(mode)}`);
}
