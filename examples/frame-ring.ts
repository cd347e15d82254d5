// Producer/consumer of video frames (1080x720x3 bytes) through a ring of N slots in shared memory, guarded
// by two semaphores (free slots, filled slots): the frame-buffer pattern of Python's shared_memory guides.
// Run: node dist/examples/frame-ring.js [frames] [slots]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Semaphore, SharedMemory, type PrimitiveRef } from 'multiproc';

export const frameBytes = 1080 * 720 * 3;
const pattern = (i: number): number => i % 251;
let expectedSum = 0;
for (let i = 4096; i < frameBytes; i += 4096) expectedSum += pattern(i);

interface Ring {
  name: string;
  slots: number;
  frames: number;
  free: PrimitiveRef;
  filled: PrimitiveRef;
}

function produce(ring: Ring): void {
  using shm = SharedMemory.attach(ring.name);
  using free = Semaphore.fromRef(ring.free);
  using filled = Semaphore.fromRef(ring.filled);
  const frame = new Uint8Array(frameBytes).map((_, i) => pattern(i));
  const stamp = new DataView(frame.buffer);
  for (let f = 0; f < ring.frames; f++) {
    stamp.setUint32(0, f, true); // a real producer would render or decode the frame here
    free.acquireSync();
    new Uint8Array(shm.buf, (f % ring.slots) * frameBytes, frameBytes).set(frame);
    filled.release();
  }
}

function consume(ring: Ring): void {
  using shm = SharedMemory.attach(ring.name);
  using free = Semaphore.fromRef(ring.free);
  using filled = Semaphore.fromRef(ring.filled);
  let damaged = 0;
  let started = 0;
  for (let f = 0; f < ring.frames; f++) {
    filled.acquireSync();
    if (f === 0) started = performance.now(); // time the stream, not the start-up of two processes
    // The frame is used where it lies (no copy): here, a check of its stamp and one byte of every page.
    const frame = new Uint8Array(shm.buf, (f % ring.slots) * frameBytes, frameBytes);
    let sum = 0;
    for (let i = 4096; i < frameBytes; i += 4096) sum += frame[i]!;
    if (new DataView(shm.buf, frame.byteOffset, 4).getUint32(0, true) !== f || sum !== expectedSum) damaged++;
    free.release();
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify({ damaged, framesPerSecond: (ring.frames - 1) / seconds })}\n`);
}

/** Runs producer and consumer processes over a fresh ring; resolves frames per second. */
export async function runFrameRing(frames: number, slots: number): Promise<{ framesPerSecond: number; damaged: number }> {
  using shm = SharedMemory.create(slots * frameBytes);
  using free = new Semaphore(slots);
  using filled = new Semaphore(0);
  try {
    const ring: Ring = { name: shm.name, slots, frames, free: free.toRef(), filled: filled.toRef() };
    const self = fileURLToPath(import.meta.url);
    const consumer = fork(self, ['consume', JSON.stringify(ring)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    const producer = fork(self, ['produce', JSON.stringify(ring)]);
    let output = '';
    consumer.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    await Promise.all([once(consumer, 'exit'), once(producer, 'exit')]);
    return JSON.parse(output) as { framesPerSecond: number; damaged: number };
  } finally {
    shm.unlink();
  }
}

const [role, arg] = process.argv.slice(2);
if (role === 'produce') produce(JSON.parse(arg!) as Ring);
else if (role === 'consume') consume(JSON.parse(arg!) as Ring);
else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const frames = Number(role ?? 600);
  const slots = Number(arg ?? 4);
  const { framesPerSecond, damaged } = await runFrameRing(frames, slots);
  const mbs = (framesPerSecond * frameBytes) / 1e6;
  console.log(`${frames} frames of 1080x720x3 through ${slots} slots: ${framesPerSecond.toFixed(0)} frames/s (${mbs.toFixed(0)} MB/s), ${damaged} damaged or out of order`);
  process.exitCode = damaged === 0 ? 0 : 1;
}
