// A big read-only Map (1,000,000 entries) put in the object store once, used by 1,000 small tasks: each task
// takes the ref, and each worker decodes the Map once (a Map is encoded, not a view) and keeps it for the
// tasks after. Compared with sending the Map with every task, which encodes and decodes it every time.
// Run: node dist/examples/big-map.js [ENTRIES=1000000] [TASKS=1000] [BACKEND=process]
import { Pool, type BackendName } from 'multiproc';
import type * as Tasks from './big-map-tasks.js';

const entries = Number(process.argv[2] ?? 1_000_000);
const count = Number(process.argv[3] ?? 1000);
const backend = (process.argv[4] ?? 'process') as BackendName;

const prices = new Map<string, number>();
for (let i = 0; i < entries; i++) prices.set(`sku-${i}`, (i % 997) / 4);
/** Task i's basket: 10 ids spread over the whole Map. */
const basket = (i: number): string[] => Array.from({ length: 10 }, (_, k) => `sku-${(i * 7919 + k * 104_729) % entries}`);
let expected = 0;
for (let i = 0; i < count; i++) for (const id of basket(i)) expected += prices.get(id)!;

await using pool = new Pool({ workers: 2, backend });
const tasks = pool.load<typeof Tasks>(new URL('./big-map-tasks.js', import.meta.url));

let started = performance.now();
using ref = pool.put(prices);
const results = await Promise.all(Array.from({ length: count }, (_, i) => tasks.basketTotal(ref, basket(i))));
const storeMs = performance.now() - started;
const total = results.reduce((sum, r) => sum + r.total, 0);
const decodes = new Map<string, number>();
for (const r of results) decodes.set(r.worker, Math.max(decodes.get(r.worker) ?? 0, r.maps));

// The same with the Map sent by value, over a tenth of the tasks (each one carries the whole Map).
const sentCount = Math.max(1, Math.floor(count / 10));
started = performance.now();
await Promise.all(Array.from({ length: sentCount }, (_, i) => tasks.basketTotal(prices, basket(i))));
const sentMs = performance.now() - started;

const perStore = storeMs / count;
const perSent = sentMs / sentCount;
process.stdout.write(`Map of ${entries} entries put once (${(ref.describe().size / 1048576).toFixed(1)} MB encoded), ${count} tasks on ${backend}: ` +
  `total ${total === expected ? 'exact' : `WRONG (${total} vs ${expected})`}, ${storeMs.toFixed(0)} ms, ${perStore.toFixed(3)} ms per task; ` +
  `decoded ${[...decodes.values()].join(' + ')} time(s) in ${decodes.size} worker(s)\n`);
process.stdout.write(`sent with each task: ${perSent.toFixed(1)} ms per task (${sentCount} tasks): ${(perSent / perStore).toFixed(0)}x slower\n`);
