// The seed's table job: a table of ROWS rows (a date, a float64 with NaN, a string) as an apache-arrow Table;
// N pool workers each sum `val` ignoring NaN. Once with the table put in the object store (every worker reads
// the same pages), once with its buffers sent to each worker (each holds a copy). Printed for each: the wall
// time and the memory of the whole process tree, as the PSS of the parent and of every worker process
// (/proc/PID/smaps_rollup: a shared page counts once over the tree, split among the processes that map it).
// Run: node dist/examples/table-sum.js [ROWS=10000000] [WORKERS=2] [BACKEND=process]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Barrier, Pool, type BackendName } from 'multiproc';
import type * as Tasks from './table-sum-tasks.js';
import { nanSumOf, tableOf, type SumResult, type TableColumns } from './table-sum-tasks.js';

const labels = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu'];

/** The table's columns, made straight into typed arrays (10M rows in about a second), and the sum to expect. */
export function makeColumns(rows: number): { columns: TableColumns; expected: number } {
  const date = new Int32Array(rows);
  const val = new Float64Array(rows);
  const labelOffsets = new Int32Array(rows + 1);
  const encoded = labels.map((label) => Buffer.from(label));
  let bytes = 0;
  for (let i = 0; i < rows; i++) bytes += encoded[i % labels.length]!.length;
  const labelBytes = new Uint8Array(bytes);
  let at = 0;
  for (let i = 0; i < rows; i++) {
    date[i] = 18_262 + (i % 3650); // days since 1970: 2020-01-01 onwards
    const value = i % 10 === 7 ? NaN : ((i * 7919) % 10_007) / 100;
    val[i] = value;
    const label = encoded[i % labels.length]!;
    labelBytes.set(label, at);
    at += label.length;
    labelOffsets[i + 1] = at;
  }
  // Summed as the workers sum it (the same blocks in the same order), so the sums agree to the last bit.
  return { columns: { rows, date, val, labelOffsets, labelBytes }, expected: nanSumOf(val, rows) };
}

/** kB of proportional set size of process `pid`. */
export function pssKb(pid: number): number {
  const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  if (match === null) throw new Error(`no Pss line in /proc/${pid}/smaps_rollup`);
  return Number(match[1]);
}

/** kB of PSS of the parent and each distinct worker process (on threads: the one process). */
export function treePssKb(pids: readonly number[]): number {
  return [...new Set([process.pid, ...pids])].reduce((total, pid) => total + pssKb(pid), 0);
}

export interface JobResult {
  mode: 'shared' | 'sent';
  backend: BackendName;
  workers: number;
  rows: number;
  tableBytes: number;
  ms: number;
  /** Tree PSS with the pool warm and the table built in the parent, then with every worker holding it. */
  beforeKb: number;
  afterKb: number;
  sums: number[];
  expected: number;
  distinctWorkers: number;
  allShared: boolean;
}

/** One run of the job: a fresh pool of `workers`, warmed, measured, then closed. */
export async function runJob(mode: 'shared' | 'sent', backend: BackendName, workers: number, columns: TableColumns, expected: number): Promise<JobResult> {
  const pool = new Pool({ workers, backend });
  try {
    const tasks = pool.load<typeof Tasks>(new URL('./table-sum-tasks.js', import.meta.url));
    using warm = new Barrier(workers);
    const met = await Promise.all(Array.from({ length: workers }, () => tasks.meet(warm)));
    const pids = met.map((worker) => worker.pid);
    const table = tableOf(columns);
    const tableBytes = columns.date.byteLength + columns.val.byteLength + columns.labelOffsets.byteLength + columns.labelBytes.byteLength;
    const beforeKb = treePssKb(pids);
    const started = performance.now();
    let results: SumResult[];
    // Submitted together to idle workers, the calls go one to each (the pool hands a task to the worker
    // holding the fewest); `distinctWorkers` checks it.
    if (mode === 'shared') {
      const ref = pool.put(table);
      results = await Promise.all(Array.from({ length: workers }, () => tasks.sumShared(ref)));
    } else {
      results = await Promise.all(Array.from({ length: workers }, () => tasks.sumSent(columns)));
    }
    const ms = performance.now() - started;
    const afterKb = treePssKb(pids);
    return {
      mode, backend, workers, rows: columns.rows, tableBytes, ms, beforeKb, afterKb, sums: results.map((r) => r.sum), expected,
      distinctWorkers: new Set(results.map((r) => `${r.pid}:${r.threadId}`)).size, allShared: results.every((r) => r.shared),
    };
  } finally {
    await pool.close();
  }
}

const mb = (kb: number): string => (kb / 1024).toFixed(1);

/** The lines the example prints for one run. */
export function describeJob(job: JobResult): string {
  const addedKb = job.afterKb - job.beforeKb;
  const tableKb = job.tableBytes / 1024;
  const perWorker = job.mode === 'shared' ? (addedKb - tableKb) / job.workers : addedKb / job.workers;
  const exact = job.sums.every((sum) => sum === job.expected);
  const how = job.mode === 'shared' ? 'shared (pool.put, one copy in shared memory)' : 'sent (a copy to each worker)';
  return `${how}: ${job.workers} ${job.backend} workers, sums ${exact ? 'exact' : `WRONG ${job.sums.join(', ')}`} ` +
    `(${job.distinctWorkers} workers, ${job.allShared ? 'reading shared memory' : 'reading private copies'}) in ${job.ms.toFixed(0)} ms; ` +
    `tree PSS ${mb(job.beforeKb)} -> ${mb(job.afterKb)} MB: +${mb(addedKb)} MB = ` +
    (job.mode === 'shared' ? `the table once + ${mb(perWorker)} MB per worker` : `${mb(perWorker)} MB per worker`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = Number(process.argv[2] ?? 10_000_000);
  const workers = Number(process.argv[3] ?? 2);
  const backend = (process.argv[4] ?? 'process') as BackendName;
  const { columns, expected } = makeColumns(rows);
  const tableBytes = columns.date.byteLength + columns.val.byteLength + columns.labelOffsets.byteLength + columns.labelBytes.byteLength;
  process.stdout.write(`table: ${rows} rows (date, float64 with NaN, string) as an Arrow Table, ${(tableBytes / 1048576).toFixed(1)} MB; nansum(val) = ${expected}\n`);
  for (const mode of ['shared', 'sent'] as const) process.stdout.write(`${describeJob(await runJob(mode, backend, workers, columns, expected))}\n`);
}
