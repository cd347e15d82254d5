import { Pool, ObjectStore } from 'multiproc';
import { makeColumns } from './dist/examples/table-sum.js';
import { tableOf } from './dist/examples/table-sum-tasks.js';
const { columns } = makeColumns(10_000_000);
const table = tableOf(columns);
const pool = new Pool({ workers: 2, backend: 'process' });
const tasks = pool.load(new URL('./dist/examples/table-sum-tasks.js', import.meta.url));
await Promise.all([tasks.drop(), tasks.drop()]);
for (let r = 0; r < 3; r++) {
let t0 = performance.now();
const ref = pool.put(table);
let t1 = performance.now();
const res = await Promise.all([tasks.sumShared(ref), tasks.sumShared(ref)]);
let t2 = performance.now();
const res2 = await Promise.all([tasks.sumShared(ref), tasks.sumShared(ref)]);
let t3 = performance.now();
console.log('put', (t1-t0).toFixed(0), 'first tasks', (t2-t1).toFixed(0), 'again', (t3-t2).toFixed(0));
ref.release();
}
await pool.close();
