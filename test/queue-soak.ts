// The long queue fault run (not part of the test suite): node dist/test/queue-soak.js [kills] [seed]
// prints one JSON line of figures per configuration, for docs/RELIABILITY-queues.md.
import { runChaos } from './helpers/queue-chaos.js';

const kills = Number(process.argv[2] ?? 1000);
const seed = Number(process.argv[3] ?? 1);
const runs = [
  { name: 'small items, flat out', bigEvery: 0, bigBytes: 0, bufferSize: 4096, maxsize: 16, pauseMs: 0.2, share: 0.6 },
  { name: 'small items, paced', bigEvery: 0, bigBytes: 0, bufferSize: 4096, maxsize: 16, pauseMs: 2, share: 0.2 },
  { name: '1 in 4 items 4 MiB', bigEvery: 4, bigBytes: 4 << 20, bufferSize: 65_536, maxsize: 8, pauseMs: 0, share: 0.2 },
];
for (const run of runs) {
  const n = Math.round(kills * run.share);
  const figures = await runChaos({
    seed, kills: n, total: 4_000_000, producers: 2, consumers: 2, bigEvery: run.bigEvery,
    bigBytes: run.bigBytes, bufferSize: run.bufferSize, maxsize: run.maxsize, pauseMs: run.pauseMs, maxGapMs: 60, maxLifeMs: 400,
    deadlineMs: 3_600_000,
  });
  process.stdout.write(`${JSON.stringify({ run: run.name, ...figures })}\n`);
}
