// One measurement of B3 "shared", in a fresh process; prints one JSON line.
//   BACKEND COUNT: COUNT distinct 4 MiB Float64Arrays put in the object store (once each), then COUNT tasks,
//   all submitted at once, each summing one of them, given by ref; on 2 workers. Timed twice in the process,
//   as the pool's B3 is (bench/pool/contender.ts): a first round and a warm one, each with new arrays.
import { Pool, type BackendName } from 'multiproc';
import type * as Tasks from './pool/workers/tasks.js';

const [backend, countText] = process.argv.slice(2) as [BackendName, string];
const count = Number(countText);
const elements = (4 * 2 ** 20) / 8;

const pool = new Pool({ workers: 2, backend });
// The same task module, and the same sum, the pool's B3 runs for every contender.
const tasks = pool.load<typeof Tasks>(new URL('./pool/workers/tasks.js', import.meta.url));
await Promise.all(Array.from({ length: 1000 }, (_, i) => tasks.inc(i)));
for (let i = 0; i < 200; i++) await tasks.inc(i);

/** GB/s of the tasks alone (the arrays already in the store), and with the puts counted in. */
async function round(): Promise<{ rate: number; withPut: number }> {
  const arrays = Array.from({ length: count }, (_, i) => new Float64Array(elements).fill(i));
  const putStarted = performance.now();
  const refs = arrays.map((array) => pool.put(array));
  const started = performance.now();
  const sums = await Promise.all(refs.map((ref) => tasks.sum(ref)));
  const ended = performance.now();
  if (sums[1] !== elements) throw new Error(`wrong sum ${sums[1]}`);
  for (const ref of refs) ref.release();
  const bytes = count * 4 * 2 ** 20;
  return { rate: bytes / ((ended - started) / 1000) / 1e9, withPut: bytes / ((ended - putStarted) / 1000) / 1e9 };
}

const first = await round();
const warm = await round();
await pool.close();
process.stdout.write(`${JSON.stringify({ first: first.rate, rate: warm.rate, firstWithPut: first.withPut, withPut: warm.withPut })}\n`);
