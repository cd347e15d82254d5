// One measurement of the object-store benchmark, in a fresh process; prints one JSON line.
//   BACKEND put|send MIB TASKS: TASKS calls each summing a slice of one MIB MiB Float64Array, passed as an
//   ObjectRef (put once, included in the time) or as the array itself with every call.
import { Pool, type BackendName } from 'multiproc';
import type * as Tasks from './store-tasks.js';

const [backend, mode, mib, count] = process.argv.slice(2) as [BackendName, 'put' | 'send', string, string];
const tasks = Number(count);
const data = new Float64Array((Number(mib) * 1024 * 1024) / 8);
for (let i = 0; i < data.length; i++) data[i] = i % 7;

const pool = new Pool({ workers: 2, backend });
const bound = pool.load<typeof Tasks>(new URL('./store-tasks.js', import.meta.url));
await Promise.all(Array.from({ length: 50 }, () => bound.warm()));
const step = Math.floor(data.length / tasks);
const started = performance.now();
const argument = mode === 'put' ? pool.put(data) : data;
const sums = await Promise.all(Array.from({ length: tasks }, (_, i) => bound.sumSlice(argument, i * step, (i + 1) * step)));
const ms = performance.now() - started;
await pool.close();
if (sums.some((sum) => !Number.isFinite(sum))) throw new Error('a task summed nothing');
process.stdout.write(`${JSON.stringify({ ms, perTaskMs: ms / tasks })}\n`);
