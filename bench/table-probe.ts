// One measurement of the table job (examples/table-sum.ts) in a fresh process; prints one JSON line.
//   MODE BACKEND WORKERS ROWS: MODE is `shared` (pool.put) or `sent` (the table's buffers sent to each worker).
import type { BackendName } from 'multiproc';
import { makeColumns, runJob } from '../examples/table-sum.js';

const [mode, backend, workers, rows] = process.argv.slice(2) as ['shared' | 'sent', BackendName, string, string];
const { columns, expected } = makeColumns(Number(rows));
const job = await runJob(mode, backend, Number(workers), columns, expected);
if (job.sums.some((sum) => sum !== job.expected)) throw new Error(`wrong sums ${job.sums.join(', ')} (expected ${job.expected})`);
if (job.distinctWorkers !== job.workers) throw new Error(`the tasks ran in ${job.distinctWorkers} workers, not ${job.workers}`);
process.stdout.write(`${JSON.stringify(job)}\n`);
