// One small adapter per contender so every benchmark drives each pool the same way.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

export interface Adapter {
  run(name: string, arg: unknown, transfer?: ArrayBuffer[]): Promise<unknown>;
  /** The library's own map over items with automatic chunking, where it has one. */
  map?(name: string, items: unknown[]): Promise<unknown[]>;
  close(): Promise<void>;
  /** Worker processes whose CPU time belongs to the pool (process backends). */
  childPids(): number[];
}

export const contenders = ['raw', 'piscina', 'tinypool', 'workerpool', 'poolifier', 'multiproc-thread', 'multiproc-process'] as const;
/**
 * multiproc observed (bench/pool-insights.bench.ts): `-subscribed` with a subscriber that does nothing on every
 * diagnostics channel (what publishing costs), `-insights` with `insights: true` (what recording them costs).
 */
export const observedContenders = ['multiproc-thread-subscribed', 'multiproc-thread-insights', 'multiproc-process-subscribed', 'multiproc-process-insights'] as const;
export type Contender = (typeof contenders)[number] | (typeof observedContenders)[number];

export const workers = 2;
const tasksFile = fileURLToPath(new URL('./workers/tasks.js', import.meta.url));

function raw(): Promise<Adapter> {
  const pending = new Map<number, (value: unknown) => void>();
  const threads = Array.from({ length: workers }, () => new Worker(new URL('./workers/raw-worker.js', import.meta.url)));
  for (const thread of threads) thread.on('message', (message: { id: number; value: unknown }) => {
    pending.get(message.id)!(message.value);
    pending.delete(message.id);
  });
  let next = 0;
  return Promise.resolve({
    run: (name, arg, transfer = []) => new Promise((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      threads[id % workers]!.postMessage({ id, name, arg }, transfer);
    }),
    close: async () => {
      await Promise.all(threads.map((thread) => thread.terminate()));
    },
    childPids: () => [],
  });
}

/** piscina and tinypool share one API: `new Pool({ filename, minThreads, maxThreads })`, `run(arg, { name, transferList })`. */
interface PiscinaLike {
  run(arg: unknown, options: { name: string; transferList?: ArrayBuffer[] }): Promise<unknown>;
  destroy(): Promise<void>;
}

function piscinaLike(pool: PiscinaLike): Adapter {
  return {
    run: (name, arg, transfer) => pool.run(arg, transfer === undefined ? { name } : { name, transferList: transfer }),
    close: () => pool.destroy(),
    childPids: () => [],
  };
}

async function piscina(): Promise<Adapter> {
  const { Piscina } = await import('piscina');
  return piscinaLike(new Piscina({ filename: tasksFile, minThreads: workers, maxThreads: workers }));
}

async function tinypool(): Promise<Adapter> {
  const { Tinypool } = await import('tinypool');
  return piscinaLike(new Tinypool({ filename: tasksFile, minThreads: workers, maxThreads: workers }));
}

async function workerpool(): Promise<Adapter> {
  const { default: wp } = await import('workerpool');
  const pool = wp.pool(fileURLToPath(new URL('./workers/workerpool-worker.js', import.meta.url)), {
    minWorkers: workers, maxWorkers: workers, workerType: 'thread',
  });
  return {
    run: (name, arg, transfer) => pool.exec(name, [arg], transfer === undefined ? undefined : { transfer }),
    close: async () => {
      await pool.terminate();
    },
    childPids: () => [],
  };
}

async function poolifier(): Promise<Adapter> {
  const { FixedThreadPool } = await import('poolifier');
  const pool = new FixedThreadPool<unknown, unknown>(workers, fileURLToPath(new URL('./workers/poolifier-worker.js', import.meta.url)));
  return {
    run: (name, arg, transfer) => pool.execute(arg, name, undefined, transfer),
    map: async (name, items) => [...(await pool.mapExecute(items, name))],
    close: () => pool.destroy(),
    childPids: () => [],
  };
}

async function multiproc(backend: 'thread' | 'process', observed: 'subscribed' | 'insights' | undefined = undefined): Promise<Adapter> {
  const { Pool, taskRef, channels, applyTrace, mapTrace } = await import('multiproc');
  if (observed === 'subscribed') {
    const nothing = (): void => {};
    for (const channel of Object.values(channels)) channel.subscribe(nothing);
    for (const trace of [applyTrace, mapTrace]) trace.subscribe({ start: nothing, end: nothing, asyncStart: nothing, asyncEnd: nothing, error: nothing });
  }
  const pool = new Pool({ workers, backend, insights: observed === 'insights' });
  const refs = new Map<string, ReturnType<typeof taskRef>>();
  const ref = (name: string): ReturnType<typeof taskRef> => {
    let task = refs.get(name);
    if (task === undefined) refs.set(name, (task = taskRef(tasksFile, name)));
    return task;
  };
  return {
    run: (name, arg, transfer) => pool.apply(ref(name), [arg], transfer === undefined ? {} : { transfer }),
    map: (name, items) => pool.map(ref(name), items, { chunksize: 'auto' }),
    close: () => pool.close(),
    childPids: () => pool.stats().workers.map((worker) => worker.pid).filter((pid) => pid !== process.pid),
  };
}

export function makeAdapter(contender: Contender): Promise<Adapter> {
  switch (contender) {
    case 'raw':
      return raw();
    case 'piscina':
      return piscina();
    case 'tinypool':
      return tinypool();
    case 'workerpool':
      return workerpool();
    case 'poolifier':
      return poolifier();
    case 'multiproc-thread':
      return multiproc('thread');
    case 'multiproc-process':
      return multiproc('process');
    case 'multiproc-thread-subscribed':
      return multiproc('thread', 'subscribed');
    case 'multiproc-thread-insights':
      return multiproc('thread', 'insights');
    case 'multiproc-process-subscribed':
      return multiproc('process', 'subscribed');
    case 'multiproc-process-insights':
      return multiproc('process', 'insights');
  }
}

/** CPU seconds (user + system) of other processes, from /proc. */
export function childCpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}
