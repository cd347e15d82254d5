// B1 `map` with and without insights in one process: BACKEND PAIRS -> one JSON line with, per pair, the median
// map time of a pool without insights and of one with them (each a fresh pool of 2 workers, warmed by 3 maps,
// then 15 maps of 200,000 items of `x + 1`, automatic chunks, timed one by one), which of the two ran first
// alternating. A pool's close ends its insights' subscription, so the pool without them runs with nobody
// subscribed (checked), in the same process, with the same compiled code, as the other: what differs between
// processes on this host (10-15% on a B1 map's rate) is out of the ratio.
import { channel } from 'node:diagnostics_channel';
import { Pool } from 'multiproc';

const [backend = 'thread', pairsText = '10'] = process.argv.slice(2);
if (backend !== 'thread' && backend !== 'process') throw new TypeError(`backend: 'thread' or 'process', got ${backend}`);
const items = Array.from({ length: 200_000 }, (_, i) => i);
const tasksUrl = new URL('./pool/workers/tasks.js', import.meta.url);
const finished = channel('multiproc:task:finished');

async function medianMapMs(insights: boolean): Promise<number> {
  const pool = new Pool({ workers: 2, backend: backend as 'thread' | 'process', insights });
  try {
    if (!insights && finished.hasSubscribers) throw new Error('a subscriber is left from an earlier pool');
    const tasks = pool.load<typeof import('./pool/workers/tasks.js')>(tasksUrl);
    for (let i = 0; i < 3; i++) await tasks.inc.map(items);
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const started = performance.now();
      const results = await tasks.inc.map(items);
      times.push(performance.now() - started);
      if (results[199_999] !== 200_000) throw new Error('wrong result');
    }
    times.sort((a, b) => a - b);
    return times[7]!;
  } finally {
    await pool.close();
  }
}

const pairs: { off: number; on: number }[] = [];
for (let i = 0; i < Number(pairsText); i++) {
  if (i % 2 === 0) {
    const off = await medianMapMs(false);
    pairs.push({ off, on: await medianMapMs(true) });
  } else {
    const on = await medianMapMs(true);
    pairs.push({ on, off: await medianMapMs(false) });
  }
}
process.stdout.write(`${JSON.stringify({ pairs })}\n`);
