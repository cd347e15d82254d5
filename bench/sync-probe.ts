// One measurement of the sync/queue benchmark, in a fresh process; prints one JSON line.
//   uncontended N | handoff N | queue-small N | send-small N | queue-big N | send-big N | memcpy N |
//   frame-ring FRAMES SLOTS | frame-queue FRAMES   (partners: *-partner)
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { frameBytes, runFrameRing } from '../examples/frame-ring.js';
import { Connection, Lock, Pipe, Queue, RawArray, SharedMemory, type ConnectionRef, type CtypeRef, type PrimitiveRef, type QueueRef } from 'multiproc';

const [mode = '', ...args] = process.argv.slice(2);
const self = fileURLToPath(import.meta.url);
const emit = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};
const small = (i: number): { i: number; text: string } => ({ i, text: 'hello' });

async function partner(argv: string[], options: { advanced?: boolean } = {}): Promise<ReturnType<typeof fork>> {
  const child = fork(self, argv, options.advanced === true ? { serialization: 'advanced' } : {});
  await once(child, 'message'); // ready
  return child;
}

function uncontended(n: number): void {
  using lock = new Lock();
  for (let i = 0; i < 10_000; i++) {
    lock.acquireSync();
    lock.release();
  }
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    lock.acquireSync();
    lock.release();
  }
  const syncNs = ((performance.now() - t) * 1e6) / n;
  emit({ syncNs });
}

async function uncontendedAsync(n: number): Promise<number> {
  using lock = new Lock();
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    await lock.acquire();
    lock.release();
  }
  return ((performance.now() - t) * 1e6) / n;
}

/**
 * Lock handoff between two processes: the holder waits until the other has announced itself and gone to
 * sleep in acquire, stamps the time and releases; the other acquires and measures. Then the roles swap.
 */
function handoffRounds(lock: Lock, shared: RawArray<'q'>, parity: number, rounds: number): number[] {
  const flags = new Int32Array(shared.view.buffer, shared.view.byteOffset, 2);
  const stamp = shared.view;
  const latencies: number[] = [];
  for (let k = 0; k < rounds; k++) {
    if (k % 2 === parity) {
      while (Atomics.load(flags, 0) !== k + 1);
      const until = performance.now() + 0.05; // let the other side reach its futex sleep
      while (performance.now() < until);
      Atomics.store(stamp, 1, process.hrtime.bigint());
      lock.release();
      // The lock is not fair (as CPython's is not): wait for the other side to have it before going on.
      while (Atomics.load(flags, 1) !== k + 1);
    } else {
      Atomics.store(flags, 0, k + 1);
      lock.acquireSync();
      latencies.push(Number(process.hrtime.bigint() - Atomics.load(stamp, 1)) / 1000);
      Atomics.store(flags, 1, k + 1);
    }
  }
  return latencies;
}

async function handoff(n: number): Promise<void> {
  using lock = new Lock();
  using shared = new RawArray('q', 2);
  lock.acquireSync();
  // No ready message: the partner's first move (announcing itself in shared memory) starts the rounds.
  const child = fork(self, ['handoff-partner', JSON.stringify(lock.toRef()), JSON.stringify(shared.toRef()), String(n)]);
  const latencies = handoffRounds(lock, shared, 0, n);
  const [theirs] = (await once(child, 'message')) as [number[]];
  const all = [...latencies, ...theirs].sort((a, b) => a - b);
  emit({ medianUs: all[all.length >> 1], p99Us: all[Math.floor(all.length * 0.99)] });
}

async function queueRun(n: number, big: boolean): Promise<void> {
  using queue = new Queue<unknown>(0, { bufferSize: big ? 4 << 20 : 1 << 20 });
  const payload = big ? new Uint8Array(1 << 20).fill(3) : undefined;
  const child = await partner(['queue-partner', JSON.stringify(queue.toRef()), String(n)]);
  const t = performance.now();
  for (let i = 0; i < n; i++) await queue.put(payload ?? small(i));
  await once(child, 'message'); // done
  const seconds = (performance.now() - t) / 1000;
  emit(big ? { mbs: (n * (1 << 20)) / seconds / 1e6 } : { msgsPerSecond: n / seconds });
  child.disconnect();
}

async function sendRun(n: number, big: boolean): Promise<void> {
  const child = await partner(['send-partner', String(n)], { advanced: big });
  const payload = big ? new Uint8Array(1 << 20).fill(3) : undefined;
  const t = performance.now();
  for (let i = 0; i < n; i++) child.send(payload ?? small(i));
  await once(child, 'message');
  const seconds = (performance.now() - t) / 1000;
  emit(big ? { mbs: (n * (1 << 20)) / seconds / 1e6 } : { msgsPerSecond: n / seconds });
  child.disconnect();
}

/** The transport alone: 32-byte messages through a one-way Pipe's ring, no codec. */
async function bytesRun(n: number): Promise<void> {
  const [reader, writer] = Pipe({ duplex: false });
  const child = await partner(['bytes-partner', JSON.stringify(reader.toRef()), String(n)]);
  reader.close();
  const message = new Uint8Array(32).fill(1);
  const t = performance.now();
  for (let i = 0; i < n; i++) await writer.sendBytes(message);
  await once(child, 'message');
  emit({ msgsPerSecond: n / ((performance.now() - t) / 1000) });
  writer.close();
  child.disconnect();
}

/** The floor for the ring: copying frames into 4 rotating frame-sized slots, of ordinary memory or of a segment. */
function memcpy(n: number, shared: boolean): void {
  const source = new Uint8Array(frameBytes).fill(5);
  using shm = shared ? SharedMemory.create(4 * frameBytes) : undefined;
  const slots = shm === undefined ? new Uint8Array(4 * frameBytes) : new Uint8Array(shm.buf);
  slots.fill(1);
  const t = performance.now();
  for (let i = 0; i < n; i++) slots.set(source, (i % 4) * frameBytes);
  emit({ mbs: (n * frameBytes) / ((performance.now() - t) / 1000) / 1e6 });
  shm?.unlink();
}

async function frameQueue(frames: number): Promise<void> {
  using queue = new Queue<Uint8Array>(4, { bufferSize: 4 << 20 });
  const child = await partner(['frame-queue-partner', JSON.stringify(queue.toRef()), String(frames)]);
  const frame = new Uint8Array(frameBytes).map((_, i) => i % 251);
  const t = performance.now();
  for (let f = 0; f < frames; f++) await queue.put(frame);
  await once(child, 'message');
  emit({ framesPerSecond: frames / ((performance.now() - t) / 1000) });
  child.disconnect();
}

const n = Number(args[0] ?? 0);
switch (mode) {
  case 'uncontended': {
    uncontended(n);
    break;
  }
  case 'uncontended-async': {
    emit({ asyncNs: await uncontendedAsync(n) });
    break;
  }
  case 'handoff':
    await handoff(n);
    break;
  case 'handoff-partner': {
    using lock = Lock.fromRef(JSON.parse(args[0]!) as PrimitiveRef);
    using shared = RawArray.fromRef<'q'>(JSON.parse(args[1]!) as CtypeRef);
    process.send?.(handoffRounds(lock, shared, 1, Number(args[2])), () => process.disconnect());
    break;
  }
  case 'queue-small':
  case 'queue-big':
    await queueRun(n, mode === 'queue-big');
    break;
  case 'send-small':
  case 'send-big':
    await sendRun(n, mode === 'send-big');
    break;
  case 'queue-partner':
  case 'frame-queue-partner': {
    using queue = Queue.fromRef(JSON.parse(args[0]!) as QueueRef);
    process.send?.('ready');
    for (let i = Number(args[1]); i > 0; i--) queue.getSync();
    process.send?.('done');
    break;
  }
  case 'bytes-small':
    await bytesRun(n);
    break;
  case 'bytes-partner': {
    using reader = Connection.fromRef(JSON.parse(args[0]!) as ConnectionRef);
    process.send?.('ready');
    for (let i = Number(args[1]); i > 0; i--) reader.recvBytesSync();
    process.send?.('done');
    break;
  }
  case 'send-partner': {
    let left = Number(args[0]);
    process.on('message', () => {
      if (--left === 0) process.send?.('done');
    });
    process.send?.('ready');
    break;
  }
  case 'memcpy':
  case 'memcpy-shm':
    memcpy(n, mode === 'memcpy-shm');
    break;
  case 'frame-ring':
    emit(await runFrameRing(n, Number(args[1] ?? 4)));
    break;
  case 'frame-queue':
    await frameQueue(n);
    break;
  default:
    throw new Error(`unknown mode ${mode}`);
}
