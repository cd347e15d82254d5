// `npm start`: a Node process, one of its worker threads and a Python process share one segment, each
// writing its own slot and sleeping on a futex until the others' data arrives.
import { startPlainProcess, startPlainThread } from '../backends/plain-peers.js';
import { futexWaitAsync, futexWake } from '../native/futex.js';
import { Pool } from '../pool/pool.js';
import { runtimeFileUrl } from '../runtime-files.js';
import { SharedMemory } from '../shm/shared-memory.js';
import { participants, pythonPeer, readText, segmentBytes, writeText } from './demo-layout.js';

const python = process.env['MULTIPROC_PYTHON'] ?? 'python3';

export async function runDemo(out: (text: string) => void): Promise<number> {
  await shareOneSegment(out);
  for (const backend of ['thread', 'process'] as const) await mapOverPool(backend, out);
  return 0;
}

/** Counts primes below 1,000,000 in 100 ranges on a pool of 2 workers, with a progress bar on stderr. */
async function mapOverPool(backend: 'thread' | 'process', out: (text: string) => void): Promise<void> {
  const started = performance.now();
  await using pool = new Pool({ workers: 2, backend });
  const tasks = pool.load<typeof import('./demo-tasks.js')>(runtimeFileUrl('cli/demo-tasks.js'));
  const ranges = Array.from({ length: 100 }, (_, i) => [i * 10_000, (i + 1) * 10_000] as [number, number]);
  const counts = await tasks.countPrimes.map(ranges, { chunksize: 'auto', order: 'shuffle', progress: true });
  const who = new Set(await tasks.whoAmI.map([0, 1, 2, 3, 4, 5, 6, 7], { chunksize: 1 }));
  const total = counts.reduce((sum, n) => sum + n, 0);
  out(`[pool:${backend}] ${total} primes below 1,000,000 (100 ranges, ${pool.stats().workers.length} workers) ` +
    `in ${(performance.now() - started).toFixed(0)} ms; ran on ${[...who].join(', ')}`);
}

async function shareOneSegment(out: (text: string) => void): Promise<void> {
  const started = performance.now();
  const stamp = (who: string, text: string): void => out(`${(performance.now() - started).toFixed(1).padStart(7)} ms  [${who}] ${text}`);
  using shm = SharedMemory.create(segmentBytes);
  try {
    const flags = new Int32Array(shm.buf, 0, participants.length);
    stamp('main', `created shared memory '${shm.name}' (${shm.size} bytes) in ${shm.dir}`);

    const workerDone = startPlainThread(runtimeFileUrl('cli/demo-worker.js'), { buf: shm.buf, me: 1 }, (text: string) => stamp('worker', text));
    const peerDone = startPlainProcess('python', python, ['-c', pythonPeer, shm.name, '2'], (line) => stamp('python', line));

    writeText(shm.buf, 0, `hello from the main thread of node ${process.version} (pid ${process.pid})`);
    Atomics.store(flags, 0, 1);
    futexWake(flags, 0);
    stamp('main', 'wrote slot 0, woke its waiters');

    for (let i = 1; i < participants.length; i++) {
      while (Atomics.load(flags, i) === 0) {
        if ((await futexWaitAsync(flags, i, 0, { timeout: 20_000 })) === 'timed-out') {
          throw new Error(`the ${participants[i]} never wrote its slot`);
        }
      }
      stamp('main', `read slot ${i}: ${readText(shm.buf, i)}`);
    }
    await Promise.all([workerDone, peerDone]);
    stamp('main', 'all three saw each other\'s data through one segment; unlinking it');
  } finally {
    shm.unlink();
  }
}
