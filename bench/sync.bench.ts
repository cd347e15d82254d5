// Sync and queues: uncontended lock cost, lock handoff between two processes, queue throughput vs
// process.send (small and 1 MiB messages), and the shared-memory frame ring vs frames through a Queue.
import { fileURLToPath } from 'node:url';
import { frameBytes } from '../examples/frame-ring.js';
import type { BenchContext, BenchSection } from './lib/context.js';
import { probe } from './lib/probe.js';
import { format, median, ratioPerRound, summarize, withSteal } from './lib/stats.js';

const script = fileURLToPath(new URL('./sync-probe.js', import.meta.url));

type Series = Record<string, number[]>;

function push(series: Series, key: string, value: number): void {
  (series[key] ??= []).push(value);
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const size = ctx.smoke
    ? { lock: 10_000, handoff: 50, small: 2000, big: 10, frames: 20, memcpy: 20 }
    : { lock: 2_000_000, handoff: 4000, small: 200_000, big: 300, frames: 600, memcpy: 1000 };
  const s: Series = {};
  const steal: number[] = [];

  for (let round = 0; round < ctx.rounds; round++) {
    ctx.log(`   round ${round + 1}/${ctx.rounds}`);
    const measured = await withSteal(async () => {
      push(s, 'syncNs', (await probe<{ syncNs: number }>(script, ['uncontended', String(size.lock)])).syncNs);
      push(s, 'asyncNs', (await probe<{ asyncNs: number }>(script, ['uncontended-async', String(size.lock / 10)])).asyncNs);
      const h = await probe<{ medianUs: number; p99Us: number }>(script, ['handoff', String(size.handoff)]);
      push(s, 'handoffUs', h.medianUs);
      push(s, 'handoffP99', h.p99Us);
      // Contenders of one comparison run back to back, their order rotating per round.
      const rotate = <T>(items: T[]): T[] => items.map((_, i) => items[(i + round) % items.length]!);
      for (const mode of rotate(['queue-small', 'send-small', 'bytes-small'])) {
        push(s, mode, (await probe<{ msgsPerSecond: number }>(script, [mode, String(size.small)])).msgsPerSecond);
      }
      for (const mode of rotate(['queue-big', 'send-big'])) {
        push(s, mode, (await probe<{ mbs: number }>(script, [mode, String(size.big)])).mbs);
      }
      for (const mode of rotate(['frame-ring', 'frame-queue', 'memcpy', 'memcpy-shm'])) {
        if (mode.startsWith('memcpy')) push(s, mode, (await probe<{ mbs: number }>(script, [mode, String(size.memcpy)])).mbs);
        else push(s, mode, (await probe<{ framesPerSecond: number }>(script, [mode, String(size.frames), '4'])).framesPerSecond);
      }
    });
    steal.push(measured.steal);
  }

  const get = (key: string): number[] => s[key] ?? [];
  const smallRatio = ratioPerRound(get('queue-small'), get('send-small'));
  const bytesRatio = ratioPerRound(get('bytes-small'), get('send-small'));
  const bigRatio = ratioPerRound(get('queue-big'), get('send-big'));
  const ringMbs = get('frame-ring').map((fps) => (fps * frameBytes) / 1e6);
  const ringVsMemcpy = ratioPerRound(get('memcpy'), ringMbs);
  const ringVsShmCopy = ratioPerRound(get('memcpy-shm'), ringMbs);
  const ringVsQueue = ratioPerRound(get('frame-ring'), get('frame-queue'));
  const markdown = [
    'Locks (one process; `acquireSync()`+`release()` and `await acquire()`+`release()`, nanoseconds per pair), and a',
    `contended handoff between two processes (${size.handoff} handoffs per round: the holder releases while the other sleeps in`,
    '`acquireSync()`; microseconds from release to the other side holding it):',
    '',
    '| uncontended, blocking | uncontended, async | handoff median | handoff p99 |',
    '|---|---|---|---|',
    `| ${summarize(get('syncNs'), 0)} ns | ${summarize(get('asyncNs'), 0)} ns | ${summarize(get('handoffUs'), 1)} us | ${summarize(get('handoffP99'), 0)} us |`,
    '',
    `Queue throughput between two processes: the main thread \`await queue.put()\`s, a child \`getSync()\`s; ${size.small} small`,
    `messages (\`{ i, text: 'hello' }\`) and ${size.big} messages of 1 MiB (a Uint8Array), against \`child.send()\` (JSON for small`,
    "messages, `serialization: 'advanced'` for binary). \"Pipe bytes\" is the same ring without the codec (32-byte `sendBytes`):",
    '',
    '| | Queue | process.send | Queue / process.send | Pipe bytes | Pipe bytes / process.send |',
    '|---|---|---|---|---|---|',
    `| small messages (msgs/s) | ${summarize(get('queue-small'), 0)} | ${summarize(get('send-small'), 0)} | ${summarize(smallRatio)} | ${summarize(get('bytes-small'), 0)} | ${summarize(bytesRatio)} |`,
    `| 1 MiB messages (MB/s) | ${summarize(get('queue-big'), 0)} | ${summarize(get('send-big'), 0)} | ${summarize(bigRatio)} | | |`,
    '',
    `Frames of 1080x720x3 bytes from a producer process to a consumer process (${size.frames} per round): a ring of 4 slots in`,
    'shared memory with two semaphores (examples/frame-ring.ts: the producer copies each frame into a free slot, the consumer',
    'reads it where it lies) vs `put`/`getSync` of each frame through a Queue (maxsize 4), vs memcpy of frames into 4',
    'rotating frame-sized slots in one process, of ordinary memory and of a shared-memory segment (the segment is mapped',
    'with 4 KiB pages, ordinary memory may get huge pages):',
    '',
    '| frame ring (frames/s) | ring MB/s | Queue (frames/s) | ring / Queue | memcpy (MB/s) | memcpy / ring | memcpy into a segment (MB/s) | that / ring |',
    '|---|---|---|---|---|---|---|---|',
    `| ${summarize(get('frame-ring'), 0)} | ${summarize(ringMbs, 0)} | ${summarize(get('frame-queue'), 0)} | ${summarize(ringVsQueue)} | ${summarize(get('memcpy'), 0)} | ${summarize(ringVsMemcpy)} | ${summarize(get('memcpy-shm'), 0)} | ${summarize(ringVsShmCopy)} |`,
    '',
    `Targets: small-message queue throughput at least 2x process.send (measured **${format(median(smallRatio))}x** with the codec, ` +
      `**${format(median(bytesRatio))}x** for the ring alone); frame ring within 2x of memcpy bandwidth (measured ` +
      `**memcpy is ${format(median(ringVsMemcpy))}x the ring**, and a copy into a segment ${format(median(ringVsShmCopy))}x). Host steal time per round: ${steal.map((v) => `${v.toFixed(1)}%`).join(', ')}.`,
  ].join('\n');
  return { title: 'Sync and queues', markdown };
}
