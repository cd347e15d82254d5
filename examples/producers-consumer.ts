// Two producer Processes and one consumer Process share a Queue of video frames (1080x720x3 bytes). The
// consumer keeps every frame's (producer, sequence) id and checks each frame's bytes, so a frame lost,
// delivered twice or damaged on the way shows up in the line the parent prints.
// A frame is put on the queue as it is (a Uint8Array): an item larger than half the queue's ring travels in
// a segment of its own, made by the producer and removed by the consumer that takes it, so nothing is left
// to clean up whoever ends first. (A RawArray per frame would not do: its creator's close() removes it, so
// a producer would have to keep every frame open until the consumer had attached. To reuse frame buffers
// without any copy, see frame-ring.ts.)
// Run: node dist/examples/producers-consumer.js [frames per producer]
import { parentProcess, Process, Queue, RawArray, taskRef } from 'multiproc';

const width = 1080;
const height = 720;
const frameBytes = width * height * 3;

interface Frame {
  producer: number;
  seq: number;
  pixels: Uint8Array;
}

/** What producer `producer` puts in byte `i` of its frame `seq`: no two frames are alike. */
const pattern = (producer: number, seq: number, i: number): number => (i * 7 + producer * 31 + seq * 13) % 251;

/** Process target: `frames` frames, then `null` (Python's sentinel idiom: this producer is done). */
export function produce(queue: Queue<Frame | null>, producer: number, frames: number): void {
  for (let seq = 0; seq < frames; seq++) {
    const pixels = new Uint8Array(frameBytes);
    for (let i = 0; i < frameBytes; i++) pixels[i] = pattern(producer, seq, i); // a camera would fill this
    queue.putSync({ producer, seq, pixels }); // waits while the queue holds `maxsize` frames
  }
  queue.putSync(null);
}

/** Process target: take frames until every producer said it is done; counts go into `counts`. */
export function consume(queue: Queue<Frame | null>, producers: number, frames: number, counts: RawArray<'i'>): void {
  const seen = new Set<string>();
  let received = 0;
  let duplicated = 0;
  let damaged = 0;
  for (let done = 0; done < producers; ) {
    const frame = queue.getSync({ timeout: 30_000 }); // ERR_MP_QUEUE_EMPTY rather than waiting for ever
    if (frame === null) {
      done++;
      continue;
    }
    received++;
    const id = `${frame.producer}:${frame.seq}`;
    if (seen.has(id)) duplicated++;
    seen.add(id);
    const { pixels } = frame;
    let intact = pixels.length === frameBytes;
    for (let i = 0; intact && i < frameBytes; i++) intact = pixels[i] === pattern(frame.producer, frame.seq, i);
    if (!intact) damaged++;
  }
  let lost = 0;
  for (let producer = 0; producer < producers; producer++) {
    for (let seq = 0; seq < frames; seq++) if (!seen.has(`${producer}:${seq}`)) lost++;
  }
  counts.view.set([received, lost, duplicated, damaged]);
}

// The main guard: each child imports this module to find its target, and must not start children itself.
if (!parentProcess()) {
  const frames = Number(process.argv[2] ?? 50);
  const producers = 2;
  using queue = new Queue<Frame | null>(4); // at most 4 frames waiting: producers cannot outrun the consumer
  using counts = new RawArray('i', 4);
  const target = (name: string): ReturnType<typeof taskRef> => taskRef(import.meta.url, name);
  const children = [
    new Process({ target: target('consume'), args: [queue, producers, frames, counts], name: 'consumer' }),
    ...Array.from({ length: producers }, (_, p) => new Process({ target: target('produce'), args: [queue, p, frames], name: `producer-${p}` })),
  ];
  for (const child of children) child.start();
  await Promise.all(children.map((child) => child.join()));
  const [received, lost, duplicated, damaged] = counts.view;
  const failed = children.filter((child) => child.exitcode !== 0).map((child) => `${child.name} exited ${child.exitcode}`);
  console.log(`${producers} producers x ${frames} frames: ${received} received, ${lost} lost, ${duplicated} duplicated, ${damaged} damaged` +
    (failed.length > 0 ? `; ${failed.join(', ')}` : ''));
  process.exitCode = failed.length === 0 && received === producers * frames && lost === 0 && duplicated === 0 && damaged === 0 ? 0 : 1;
}
