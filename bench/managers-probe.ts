// multiproc's side of bench/managers.bench.ts, each role in a fresh process: the seed's server, a round-trip
// client, a worker (the seed's client) and the master. The same roles and output as bench/managers_python.py.
import { BaseManager, ManagedQueue, type AutoProxy, type QueueProxy } from '../src/index.js';
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

function report(n: number, elapsed: number, times: number[], cpu: NodeJS.CpuUsage): never {
  const cpuUs = (cpu.user + cpu.system) / n;
  console.log(JSON.stringify({ perSec: n / (elapsed / 1000), medianUs: median(times) * 1000, cpuUs }));
  process.exit(0);
}

/** `warm` pairs untimed (the code gets compiled), then `n` timed `put(i)` + `get()` pairs, async or blocking. */
async function roundtrip(port: number, n: number, warm: number, blocking: boolean): Promise<void> {
  const proxy = await (await connect(port)).create<QueueProxy<number>>('get_rt_queue');
  const q = proxy.blocking;
  const pair = blocking
    ? (i: number): void => {
        q.put(i);
        q.get();
      }
    : async (i: number): Promise<void> => {
        await proxy.put(i);
        await proxy.get();
      };
  for (let i = 0; i < warm; i++) {
    const done: unknown = pair(i);
    if (done instanceof Promise) await done;
  }
  const times: number[] = [];
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const done: unknown = pair(i);
    if (done instanceof Promise) await done;
    times.push(performance.now() - t0);
  }
  report(n, performance.now() - start, times, process.cpuUsage(cpu));
}

/** The seed's two queues, with `depth` method channels of each already open (so the clock starts on warm channels). */
async function seedQueues(port: number, depth: number): Promise<{ tasks: AutoProxy<QueueProxy<number | null>>; results: AutoProxy<QueueProxy<[number, number]>> }> {
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

/** The seed's client with blocking calls, as Python's client makes them. */
async function workerBlocking(port: number): Promise<void> {
  const { tasks, results } = await seedQueues(port, 1);
  const [t, r] = [tasks.blocking, results.blocking];
  console.log('ready');
  for (;;) {
    const n = t.get();
    if (n === null) break;
    r.put([n, n * n]);
  }
  process.exit(0);
}

function finish(started: number, m: number, wrong: number): never {
  const elapsed = performance.now() - started;
  if (wrong > 0) throw new Error(`${wrong} wrong results`);
  console.log(JSON.stringify({ perSec: m / (elapsed / 1000) }));
  process.exit(0);
}

/** Puts `count` numbers from `from`, then takes as many results: how many were wrong. */
async function batch(tasks: AutoProxy<QueueProxy<number | null>>, results: AutoProxy<QueueProxy<[number, number]>>, from: number, count: number, blocking: boolean): Promise<number> {
  let wrong = 0;
  if (blocking) {
    const [t, r] = [tasks.blocking, results.blocking];
    for (let n = from; n < from + count; n++) t.put(n);
    for (let i = 0; i < count; i++) {
      const [n, square] = r.get();
      if (square !== n * n) wrong++;
    }
    return wrong;
  }
  for (let n = from; n < from + count; n++) await tasks.put(n);
  for (let i = 0; i < count; i++) {
    const [n, square] = await results.get();
    if (square !== n * n) wrong++;
  }
  return wrong;
}

/** The seed's master: `warm` numbers through untimed, then `m` timed (every put, then every get, one call at a time; then a None per client). */
async function master(port: number, m: number, workers: number, warm: number, blocking: boolean): Promise<void> {
  const { tasks, results } = await seedQueues(port, 1);
  let wrong = await batch(tasks, results, 0, warm, blocking);
  const started = performance.now();
  wrong += await batch(tasks, results, warm, m, blocking);
  for (let w = 0; w < workers; w++) await tasks.put(null);
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
else if (mode === 'roundtrip' || mode === 'roundtrip-blocking') await roundtrip(Number(a), Number(b), Number(c), mode === 'roundtrip-blocking');
else if (mode === 'worker') await worker(Number(a), 1);
else if (mode === 'worker-blocking') await workerBlocking(Number(a));
else await master(Number(a), Number(b), Number(c), Number(d), mode === 'master-blocking');
