// multiproc's side of bench/managers.bench.ts, each role in a fresh process: the seed's server, a round-trip
// client, a worker (the seed's client) and the master. The same roles and output as bench/managers_python.py.
import { BaseManager, ManagedQueue, type QueueProxy } from '../src/index.js';
import { median } from './lib/stats.js';

const authkey = new TextEncoder().encode('bench key');

async function serve(): Promise<void> {
  const [tasks, results, rt] = [new ManagedQueue(), new ManagedQueue(), new ManagedQueue()];
  const manager = new BaseManager({ authkey })
    .register('get_task_queue', { callable: () => tasks })
    .register('get_result_queue', { callable: () => results })
    .register('get_rt_queue', { callable: () => rt });
  const server = await manager.getServer();
  console.log(JSON.stringify({ port: (server.address as [string, number])[1] }));
  await server.serveForever();
}

const connect = (port: number): Promise<BaseManager> => new BaseManager({ address: ['127.0.0.1', port], authkey }).connect();

async function roundtrip(port: number, n: number): Promise<void> {
  const q = await (await connect(port)).create<QueueProxy<number>>('get_rt_queue');
  for (let i = 0; i < 200; i++) {
    await q.put(i);
    await q.get();
  }
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await q.put(i);
    await q.get();
    times.push(performance.now() - t0);
  }
  const elapsed = performance.now() - start;
  console.log(JSON.stringify({ perSec: n / (elapsed / 1000), medianUs: median(times) * 1000 }));
  process.exit(0);
}

/** The seed's two queues, with `depth` method channels of each already open (so the clock starts on warm channels). */
async function seedQueues(port: number, depth: number): Promise<{ tasks: QueueProxy<number | null>; results: QueueProxy<[number, number]> }> {
  const manager = await connect(port);
  const tasks = await manager.create<QueueProxy<number | null>>('get_task_queue');
  const results = await manager.create<QueueProxy<[number, number]>>('get_result_queue');
  await Promise.all(Array.from({ length: depth }, () => Promise.all([tasks.qsize(), results.qsize()])));
  return { tasks, results };
}

/** The seed's client, with `depth` loops each keeping its own call in flight (1: the seed as written). */
async function worker(port: number, depth: number): Promise<void> {
  const { tasks, results } = await seedQueues(port, depth);
  console.log('ready');
  await Promise.all(Array.from({ length: depth }, async () => {
    for (;;) {
      const n = await tasks.get();
      if (n === null) break;
      await results.put([n, n * n]);
    }
  }));
  process.exit(0);
}

function finish(started: number, m: number, wrong: number): never {
  const elapsed = performance.now() - started;
  if (wrong > 0) throw new Error(`${wrong} wrong results`);
  console.log(JSON.stringify({ perSec: m / (elapsed / 1000) }));
  process.exit(0);
}

/** The seed's master: every put, then every get, one call at a time. */
async function master(port: number, m: number, workers: number): Promise<void> {
  const { tasks, results } = await seedQueues(port, 1);
  const started = performance.now();
  for (let n = 0; n < m; n++) await tasks.put(n);
  for (let w = 0; w < workers; w++) await tasks.put(null);
  let wrong = 0;
  for (let i = 0; i < m; i++) {
    const [n, square] = await results.get();
    if (square !== n * n) wrong++;
  }
  finish(started, m, wrong);
}

/** The master with `depth` puts and `depth` gets in flight at once; the clients get `depth` Nones each. */
async function pipelinedMaster(port: number, m: number, workers: number, depth: number): Promise<void> {
  const { tasks, results } = await seedQueues(port, depth);
  const started = performance.now();
  let next = 0;
  let taken = 0;
  let wrong = 0;
  const putting = Promise.all(Array.from({ length: depth }, async () => {
    while (next < m) await tasks.put(next++);
  })).then(() => Promise.all(Array.from({ length: workers * depth }, () => tasks.put(null))));
  await Promise.all([putting, ...Array.from({ length: depth }, async () => {
    while (taken < m) {
      taken++;
      const [n, square] = await results.get();
      if (square !== n * n) wrong++;
    }
  })]);
  finish(started, m, wrong);
}

const [mode, a, b, c, d] = process.argv.slice(2);
if (mode === 'server') await serve();
else if (mode === 'worker-pipelined') await worker(Number(a), Number(b));
else if (mode === 'master-pipelined') await pipelinedMaster(Number(a), Number(b), Number(c), Number(d));
else if (mode === 'roundtrip') await roundtrip(Number(a), Number(b));
else if (mode === 'worker') await worker(Number(a), 1);
else await master(Number(a), Number(b), Number(c));
