// The seed pattern of Python's shared_memory guides: a writer Process copies an image (1080x720, 3 bytes a
// pixel) into a SharedMemory and sets an Event; a reader Process waits on the Event, then checks and sums
// the frame where it lies. The parent joins both and prints what the reader found. With --python, Python
// attaches to the same segment by name and sums it with numpy: the same bytes, in the same layout.
// Run: node dist/examples/frame-event.js [--python[=/path/to/python3]]
import { spawnSync } from 'node:child_process';
import { Event, parentProcess, Process, RawArray, SharedMemory, taskRef } from 'multiproc';

const width = 1080;
const height = 720;
const channels = 3;
const frameBytes = width * height * channels;

/** The known image: byte `c` of pixel (x, y), rows first, as numpy's (height, width, channels) array holds it. */
const pattern = (x: number, y: number, c: number): number => (x * 3 + y * 7 + c * 101) % 256;

/** Process target: render the image, copy it into the segment, then tell the reader. */
export function writeFrame(shm: SharedMemory, ready: Event): void {
  const image = new Uint8Array(frameBytes); // a camera or a decoder would fill this
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) image[i++] = pattern(x, y, c);
  }
  new Uint8Array(shm.buf, 0, frameBytes).set(image);
  ready.set();
}

/** Process target: wait for the frame, then sum it and count the bytes that differ from the pattern. */
export function readFrame(shm: SharedMemory, ready: Event, result: RawArray<'d'>): void {
  if (!ready.waitSync({ timeout: 10_000 })) throw new Error('the writer never set the event');
  const frame = new Uint8Array(shm.buf, 0, frameBytes); // no copy: the reader's view of the same pages
  let sum = 0;
  let wrong = 0;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++, i++) {
        sum += frame[i]!;
        if (frame[i] !== pattern(x, y, c)) wrong++;
      }
    }
  }
  result.set(0, sum);
  result.set(1, wrong);
}

// Python reads the frame through numpy. It must not unlink a segment it only attached to: Python 3.8-3.12
// register attached segments with their resource tracker too (3.13+: SharedMemory(name, track=False)).
const pythonReader = `
import sys
import numpy as np
from multiprocessing import resource_tracker, shared_memory
shm = shared_memory.SharedMemory(name=sys.argv[1])
resource_tracker.unregister(shm._name, "shared_memory")
frame = np.ndarray((${height}, ${width}, ${channels}), dtype=np.uint8, buffer=shm.buf)
y, x, c = np.ogrid[:${height}, :${width}, :${channels}]
same = bool((frame == (x * 3 + y * 7 + c * 101) % 256).all())
print(int(frame.sum(dtype=np.uint64)), "layout ok" if same else "LAYOUT DIFFERS")
del frame
shm.close()
`;

// The main guard: each child imports this module to find its target, and must not start children itself.
if (!parentProcess()) {
  const pythonFlag = process.argv.slice(2).find((arg) => /^--python(=|$)/.test(arg));
  const python = pythonFlag === undefined ? undefined : pythonFlag.slice('--python='.length) || 'python3';
  const shm = SharedMemory.create(frameBytes);
  try {
    using ready = new Event();
    using result = new RawArray('d', 2);
    const reader = new Process({ target: taskRef(import.meta.url, 'readFrame'), args: [shm, ready, result], name: 'reader' });
    const writer = new Process({ target: taskRef(import.meta.url, 'writeFrame'), args: [shm, ready], name: 'writer' });
    reader.start(); // it may start first: it waits on the Event, not on the writer
    writer.start();
    await Promise.all([reader.join(), writer.join()]);
    const [sum, wrong] = [result.get(0), result.get(1)];
    let line = `frame ${width}x${height}x${channels} in ${shm.name}: writer exit ${writer.exitcode}, reader exit ${reader.exitcode}, sum ${sum}, ${wrong} bytes wrong`;
    let pythonAgrees = true;
    if (python !== undefined) {
      const run = spawnSync(python, ['-c', pythonReader, shm.name], { encoding: 'utf8', timeout: 60_000 });
      if (run.stderr) process.stderr.write(run.stderr); // Python's warnings, if any, with ours
      if (run.status !== 0) throw new Error(`${python} failed (${run.status ?? run.signal}): ${run.error?.message ?? 'see its output above'}`);
      const [pythonSum, ...verdict] = run.stdout.trim().split(' ');
      pythonAgrees = Number(pythonSum) === sum && verdict.join(' ') === 'layout ok';
      line += `; python: sum ${pythonSum}, ${verdict.join(' ')}`;
    }
    console.log(line);
    process.exitCode = writer.exitcode === 0 && reader.exitcode === 0 && wrong === 0 && pythonAgrees ? 0 : 1;
  } finally {
    shm.close();
    shm.unlink(); // the name, everywhere: this program created it
  }
}
