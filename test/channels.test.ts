// The pool's diagnostics channels on both backends, with real workers: every lifecycle step, crashes with
// their worker-side stacks, retries, time limits, map progress, the tracing channels, and throwing subscribers.
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  applyTrace, channelNames, channels, mapTrace, subscribeAll, taskRef, type ApplyTraceContext, type BackendName, type ChannelMessages, type LoadedTasks, type MapTraceContext, type Pool, type PoolOptions,
} from '../src/index.js';
import { waitUntil } from './helpers/spawn.js';
import { rejection, tasksUrl, withPool, within, type TaskModule } from './pool/harness.js';

type Key = keyof ChannelMessages;
type Seen = { [K in Key]: { key: K; message: ChannelMessages[K] } }[Key];

/** Every message of every channel, in the order published, from now until `stop()`. */
function record(): { seen: Seen[]; of: <K extends Key>(key: K, poolId: number) => ChannelMessages[K][]; stop: () => void } {
  const seen: Seen[] = [];
  const handlers: { [K in Key]?: (message: ChannelMessages[K]) => void } = {};
  for (const key of Object.keys(channelNames) as Key[]) {
    (handlers as Record<Key, (message: unknown) => void>)[key] = (message) => seen.push({ key, message } as Seen);
  }
  const stop = subscribeAll(handlers);
  const of = <K extends Key>(key: K, poolId: number): ChannelMessages[K][] =>
    seen.filter((entry) => entry.key === key && entry.message.poolId === poolId).map((entry) => entry.message as ChannelMessages[K]);
  return { seen, of, stop };
}

/** Runs `body` with a fresh pool (torn down after) while every channel is recorded; that pool's messages. */
async function observed(backend: BackendName, options: PoolOptions,
  body: (pool: Pool, tasks: LoadedTasks<TaskModule>, live: <K extends Key>(key: K) => ChannelMessages[K][]) => Promise<void>,
): Promise<{ of: <K extends Key>(key: K) => ChannelMessages[K][]; seen: Seen[] }> {
  const recorder = record();
  let poolId = 0;
  const of = <K extends Key>(key: K): ChannelMessages[K][] => recorder.of(key, poolId);
  try {
    await withPool(backend, options, (pool, tasks) => {
      poolId = pool.id;
      return body(pool, tasks, of);
    });
  } finally {
    recorder.stop();
  }
  return { of, seen: recorder.seen.filter((entry) => entry.message.poolId === poolId) };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'multiproc-channels-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

for (const backend of ['thread', 'process'] as BackendName[]) {
  describe(`diagnostics channels (${backend})`, { timeout: 120_000 }, () => {
    it('publishes a pool\'s whole life: created, spawned, ready, queued, started, finished, exited, closed', async () => {
      const { of, seen } = await observed(backend, {}, async (pool, tasks) => {
        assert.equal(await tasks.add(1, 2), 3);
        await within(pool.close());
      });
      const [created] = of('poolCreated');
      assert.ok(created !== undefined);
      assert.equal(created.backend, backend);
      assert.equal(created.workers, 2);
      assert.equal(created.pid, process.pid);
      assert.equal(created.insights, false);
      const spawned = of('workerSpawned');
      assert.deepEqual(spawned.map((m) => m.index).sort(), [0, 1]);
      assert.ok(spawned.every((m) => m.replaces === undefined));
      const ready = of('workerReady');
      const exited = of('workerExited');
      assert.deepEqual(new Set(exited.map((m) => m.workerId)), new Set(spawned.map((m) => m.workerId)), 'every worker spawned exits once');
      assert.equal(exited.length, spawned.length);
      assert.ok(exited.every((m) => m.reason === 'closed'));
      for (const m of ready) {
        assert.ok(m.pid > 0);
        assert.equal(m.threadId === 0, backend === 'process');
        assert.ok(m.startupMs >= 0);
        assert.equal(m.initMs, 0);
      }
      // One call: queued, handed to a worker, answered by that worker, with its arguments.
      const [queued] = of('taskQueued');
      const [started] = of('taskStarted');
      const [finished] = of('taskFinished');
      assert.ok(queued !== undefined && started !== undefined && finished !== undefined);
      assert.equal(queued.name, 'add');
      assert.equal(started.taskId, queued.taskId);
      assert.equal(finished.taskId, queued.taskId);
      assert.equal(finished.workerId, started.workerId);
      assert.ok(spawned.some((m) => m.workerId === finished.workerId && m.index === finished.index));
      assert.deepEqual(finished.args, [1, 2]);
      assert.equal(finished.mapId, 0);
      assert.ok(finished.runMs >= 0);
      assert.equal(of('taskFailed').length, 0);
      assert.equal(of('workerCrashed').length, 0);
      const [closed] = of('poolClosed');
      assert.equal(closed?.state, 'closed');
      // The order, as published.
      const order = seen.map((entry) => entry.key);
      assert.equal(order[0], 'poolCreated');
      assert.equal(order.at(-1), 'poolClosed');
      assert.ok(order.indexOf('taskQueued') < order.indexOf('taskStarted') && order.indexOf('taskStarted') < order.indexOf('taskFinished'));
      for (const m of ready) {
        const at = (key: Key): number => seen.findIndex((entry) => entry.key === key &&
          (entry.message as { workerId?: number }).workerId === m.workerId);
        assert.ok(at('workerSpawned') < at('workerReady') && at('workerReady') < at('workerExited'));
      }
    });

    it('a pool terminated, and a pool broken by its initializer, close with that state; every worker exits', async () => {
      const recorder = record();
      let terminated = 0;
      let broken = 0;
      try {
        await withPool(backend, {}, async (pool, tasks) => {
          terminated = pool.id;
          assert.equal(await tasks.add(1, 1), 2);
          const pending = rejection(tasks.sleep(30_000));
          await within(pool.terminate());
          assert.equal((await pending).code, 'ERR_MP_POOL_TERMINATED');
        });
        await withPool(backend, { initializer: taskRef(tasksUrl, 'initThrows') }, async (pool, tasks) => {
          broken = pool.id;
          assert.equal((await rejection(tasks.add(1, 1))).code, 'ERR_MP_INITIALIZER_FAILED');
          await within(pool.join());
        });
      } finally {
        recorder.stop();
      }
      const { of } = recorder;
      assert.equal(of('poolClosed', terminated)[0]?.state, 'terminated');
      assert.equal(of('poolClosed', terminated)[0]?.error, undefined);
      assert.ok(of('workerExited', terminated).every((m) => m.reason === 'terminated'));
      assert.equal(of('workerExited', terminated).length, of('workerSpawned', terminated).length);
      const [closed, again] = of('poolClosed', broken);
      assert.equal(closed?.state, 'broken');
      assert.equal((closed?.error as { code?: string }).code, 'ERR_MP_INITIALIZER_FAILED');
      assert.equal(again, undefined, 'a pool closes once');
      assert.equal(of('workerReady', broken).length, 0, 'no worker of a broken initializer is ready');
      assert.equal(of('workerExited', broken).length, of('workerSpawned', broken).length);
    });

    it('a worker that exits: the task fails, the worker crashed (no stack: nothing was thrown) and is replaced', async () => {
      const { of } = await observed(backend, {}, async (pool, tasks, live) => {
        const error = await rejection(tasks.exit(3));
        assert.equal(error.code, 'ERR_MP_WORKER_CRASHED');
        await waitUntil(() => live('workerSpawned').length === 3, 20_000, 'the replacement');
      });
      const [failed] = of('taskFailed');
      assert.equal(failed?.name, 'exit');
      assert.equal((failed?.error as { code?: string }).code, 'ERR_MP_WORKER_CRASHED');
      assert.equal(failed?.runMs, undefined, 'the worker never answered');
      const [crash, more] = of('workerCrashed');
      assert.ok(crash !== undefined);
      assert.equal(more, undefined);
      assert.equal(crash.exitCode, 3);
      assert.equal(crash.task?.name, 'exit');
      assert.equal(crash.task?.taskId, failed?.taskId);
      assert.equal(crash.workerId, failed?.workerId);
      assert.equal(crash.stack, undefined);
      const exit = of('workerExited').find((m) => m.workerId === crash.workerId);
      assert.equal(exit?.reason, 'crashed');
      assert.equal(exit?.exitMs, 0);
      const replacement = of('workerSpawned').find((m) => m.replaces === crash.workerId);
      assert.equal(replacement?.index, crash.index);
      assert.notEqual(replacement?.workerId, crash.workerId);
    });

    it('a worker that dies of an uncaught throw: the crash carries the error and its worker-side stack', async () => {
      const { of } = await observed(backend, {}, async (pool, tasks) => {
        assert.equal((await rejection(tasks.uncaughtLater())).code, 'ERR_MP_WORKER_CRASHED');
      });
      const [crash] = of('workerCrashed');
      assert.ok(crash !== undefined);
      assert.ok(crash.error instanceof Error);
      assert.equal(crash.error.message, 'uncaught in a timer');
      assert.match(crash.stack ?? '', /uncaught in a timer/);
      assert.match(crash.stack ?? '', /pool-tasks\.js/, 'the stack is the worker\'s, naming the task module');
      assert.equal(crash.task?.name, 'uncaughtLater');
    });

    it('a task with retries left runs again after its worker crashed: retried, then finished on another worker', async () => {
      const marker = path.join(tmp, `retry-${backend}`);
      const { of } = await observed(backend, {}, async (pool, tasks) => {
        assert.equal(await tasks.exitOnce.with({ retries: 1 })(marker), 'done');
      });
      const [retried] = of('taskRetried');
      assert.ok(retried !== undefined);
      assert.equal(retried.name, 'exitOnce');
      assert.equal(retried.retriesLeft, 0);
      const [crash] = of('workerCrashed');
      assert.equal(crash?.workerId, retried.workerId);
      assert.equal(crash?.task?.taskId, retried.taskId);
      const [finished] = of('taskFinished');
      assert.equal(finished?.taskId, retried.taskId);
      assert.notEqual(finished?.workerId, retried.workerId);
      assert.equal(of('taskFailed').length, 0, 'a retried task does not fail');
      assert.equal(of('taskStarted').filter((m) => m.taskId === retried.taskId).length, 2);
    });

    it('a task past its time limit: it fails with ERR_MP_TASK_TIMEOUT, its worker is killed (not crashed) and replaced', async () => {
      const { of } = await observed(backend, { abortGraceMs: 0 }, async (pool, tasks, live) => {
        assert.equal((await rejection(tasks.spin.with({ timeout: 200 })(30_000))).code, 'ERR_MP_TASK_TIMEOUT');
        await waitUntil(() => live('workerExited').length === 1, 20_000, 'the exit');
      });
      const [failed] = of('taskFailed');
      assert.equal((failed?.error as { code?: string }).code, 'ERR_MP_TASK_TIMEOUT');
      const killed = of('workerExited').find((m) => m.workerId === failed?.workerId);
      assert.equal(killed?.reason, 'killed');
      assert.ok(killed.exitMs >= 0);
      assert.equal(of('workerCrashed').length, 0);
      assert.ok(of('workerSpawned').some((m) => m.replaces === killed.workerId));
    });

    it('a map: started, progress up to its total as chunks complete, finished; its chunks carry its id', async () => {
      const { of } = await observed(backend, {}, async (pool, tasks) => {
        const items = Array.from({ length: 20 }, (_, i) => i);
        assert.deepEqual(await tasks.square.map(items, { chunksize: 5 }), items.map((x) => x * x));
        const lazy: number[] = [];
        for await (const value of tasks.square.imap([1, 2, 3], { chunksize: 1 })) lazy.push(value);
        assert.deepEqual(lazy, [1, 4, 9]);
        await rejection(tasks.failOn.map([1, 13, 3], { chunksize: 1 }));
      });
      const [map, imap, failing] = of('mapStarted');
      assert.equal(map?.kind, 'map');
      assert.equal(map?.name, 'square');
      assert.equal(map?.total, 20);
      const progress = of('mapProgress').filter((m) => m.mapId === map?.mapId);
      assert.deepEqual(progress.map((m) => m.done), [5, 10, 15, 20]);
      assert.ok(progress.every((m, i) => i === 0 || m.elapsedMs >= progress[i - 1]!.elapsedMs));
      const chunks = of('taskFinished').filter((m) => m.mapId === map?.mapId);
      assert.equal(chunks.length, 4);
      assert.ok(chunks.every((m) => m.items === 5 && m.args?.length === 5));
      const ends = of('mapFinished');
      const mapEnd = ends.find((m) => m.mapId === map?.mapId);
      assert.equal(mapEnd?.done, 20);
      assert.equal(mapEnd?.error, undefined);
      assert.equal(imap?.kind, 'imap');
      assert.equal(imap?.total, 3);
      assert.equal(ends.find((m) => m.mapId === imap?.mapId)?.done, 3);
      assert.equal(failing?.name, 'failOn');
      assert.ok(ends.find((m) => m.mapId === failing?.mapId)?.error instanceof Error, 'a failed map finishes with its error');
    });

    it('traces apply and map on the tracing channels: start, then asyncEnd with the result or error with the error', async () => {
      const applies: { event: string; context: ApplyTraceContext }[] = [];
      const maps: { event: string; context: MapTraceContext }[] = [];
      const onApply = {
        start: (context: ApplyTraceContext) => applies.push({ event: 'start', context }),
        asyncEnd: (context: ApplyTraceContext) => applies.push({ event: 'asyncEnd', context }),
        error: (context: ApplyTraceContext) => applies.push({ event: 'error', context }),
      };
      const onMap = {
        start: (context: MapTraceContext) => maps.push({ event: 'start', context }),
        asyncEnd: (context: MapTraceContext) => maps.push({ event: 'asyncEnd', context }),
      };
      applyTrace.subscribe(onApply);
      mapTrace.subscribe(onMap);
      let poolId = 0;
      try {
        await withPool(backend, {}, async (pool, tasks) => {
          poolId = pool.id;
          assert.equal(await tasks.add(2, 3), 5);
          assert.equal((await rejection(tasks.fail('no'))).message, 'no');
          assert.deepEqual(await pool.starmap(tasks.add, [[1, 1], [2, 2]]), [2, 4]);
        });
      } finally {
        applyTrace.unsubscribe(onApply);
        mapTrace.unsubscribe(onMap);
      }
      const mine = applies.filter((entry) => entry.context.poolId === poolId);
      assert.deepEqual(mine.map((entry) => `${entry.event}:${entry.context.name}`), ['start:add', 'asyncEnd:add', 'start:fail', 'error:fail', 'asyncEnd:fail']);
      assert.equal(mine[1]?.context.result, 5);
      assert.equal((mine[3]?.context.error as Error).message, 'no');
      const mapped = maps.filter((entry) => entry.context.poolId === poolId);
      assert.deepEqual(mapped.map((entry) => `${entry.event}:${entry.context.kind}`), ['start:starmap', 'asyncEnd:starmap']);
      assert.deepEqual(mapped[1]?.context.result, [2, 4]);
      assert.equal(applyTrace.hasSubscribers, false);
    });

    it('publishes nothing, and builds nothing to publish, while nobody subscribes', async () => {
      // Every channel's publish (and the tracing channels' trace) replaced by one that counts: a site that
      // published without asking `hasSubscribers` first would be counted.
      let calls = 0;
      const count = (): void => void calls++;
      const patched: object[] = [...Object.values(channels), applyTrace, mapTrace];
      for (const target of Object.values(channels)) Object.defineProperty(target, 'publish', { value: count, configurable: true, writable: true });
      for (const trace of [applyTrace, mapTrace]) {
        Object.defineProperty(trace, 'tracePromise', { value: count, configurable: true, writable: true });
        Object.defineProperty(trace, 'traceSync', { value: count, configurable: true, writable: true });
      }
      try {
        assert.ok(Object.values(channels).every((target) => !target.hasSubscribers), 'nothing subscribed before the test');
        await withPool(backend, { retries: 1 }, async (pool, tasks) => {
          assert.deepEqual(await within(Promise.all(Array.from({ length: 20 }, (_, i) => tasks.add(i, 1)))), Array.from({ length: 20 }, (_, i) => i + 1));
          assert.deepEqual(await tasks.square.map([1, 2, 3, 4], { chunksize: 2 }), [1, 4, 9, 16]);
          const lazy: number[] = [];
          for await (const value of pool.imap(tasks.square, [5, 6])) lazy.push(value);
          assert.deepEqual(lazy, [25, 36]);
          assert.equal((await rejection(tasks.fail('no one listens'))).message.includes('no one listens'), true);
          assert.equal((await rejection(tasks.exit(3))).code, 'ERR_MP_WORKER_CRASHED');
          await within(pool.close());
        });
      } finally {
        for (const target of patched) {
          delete (target as { publish?: unknown }).publish;
          delete (target as { tracePromise?: unknown }).tracePromise;
          delete (target as { traceSync?: unknown }).traceSync;
        }
      }
      assert.equal(calls, 0, `${calls} messages published with no subscriber`);
      // The counting functions were reachable: with a subscriber, the same sites call them.
      const undo = subscribeAll({ taskFinished: () => undefined });
      try {
        for (const target of [channels.taskFinished]) Object.defineProperty(target, 'publish', { value: count, configurable: true, writable: true });
        await withPool(backend, {}, async (_pool, tasks) => {
          assert.equal(await tasks.add(1, 1), 2);
        });
      } finally {
        delete (channels.taskFinished as { publish?: unknown }).publish;
        undo();
      }
      assert.ok(calls >= 1, 'a subscribed channel is published on');
    });

    it('a subscriber that throws does not break the pool: results, state and the other subscribers are untouched', async () => {
      const thrown: unknown[] = [];
      // Node reports a subscriber's throw as an uncaught exception on the next tick: captured here for the test.
      process.setUncaughtExceptionCaptureCallback((error) => thrown.push(error));
      const throwing = (): void => {
        throw new Error('a broken subscriber');
      };
      for (const key of ['taskQueued', 'taskStarted', 'taskFinished', 'workerReady'] as const) diagnosticsChannel.subscribe(channelNames[key], throwing);
      const recorder = record();
      let poolId = 0;
      try {
        await withPool(backend, {}, async (pool, tasks) => {
          poolId = pool.id;
          const calls = Array.from({ length: 50 }, (_, i) => tasks.add(i, 1));
          assert.deepEqual(await within(Promise.all(calls)), Array.from({ length: 50 }, (_, i) => i + 1));
          assert.deepEqual(await tasks.square.map([1, 2, 3, 4], { chunksize: 2 }), [1, 4, 9, 16]);
          assert.equal(pool.stats().state, 'running');
          assert.equal(pool.stats().crashes, 0);
          await within(pool.close());
        });
      } finally {
        for (const key of ['taskQueued', 'taskStarted', 'taskFinished', 'workerReady'] as const) diagnosticsChannel.unsubscribe(channelNames[key], throwing);
        recorder.stop();
        await new Promise((resolve) => setImmediate(resolve));
        process.setUncaughtExceptionCaptureCallback(null);
      }
      assert.ok(thrown.length >= 50 * 3, `the throwing subscriber ran (${thrown.length} throws)`);
      assert.ok(thrown.every((error) => error instanceof Error && error.message === 'a broken subscriber'));
      assert.equal(recorder.of('taskFinished', poolId).length, 52, 'the other subscriber saw every task');
      assert.equal(recorder.of('poolClosed', poolId)[0]?.state, 'closed');
      assert.equal(channels.taskFinished.hasSubscribers, false);
    });
  });
}
