// SyncManager's typeids through typed proxies, against the TypeScript server and Python 3.11's, 3.12's and 3.13's, with the
// cases of CPython's manager-backed tests (_TestContainers, _TestNamespace, _TestEvent, _TestCondition, _TestBarrier,
// _TestValue, _TestLock) and what must not happen: a notify(n) waking more than n, a lock taken by a second owner, a
// released proxy left counted on the server.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { DictProxy, isStopIteration, ListProxy, PythonError, Slice, SyncManager, type ConditionProxy } from '../src/index.js';
import { rejectsWithCode } from './helpers/codes.js';
import { pythonFor } from './helpers/python-versions.js';
import { within } from './pool/harness.js';
import { finish, firstLine, fixture, pythonScript } from './helpers/spawn.js';

const authkey = 'sync-key';

/** Rejects with the Python exception class a Python client would raise. */
async function raisesPython(promise: Promise<unknown>, pythonClass: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PythonError, `expected a PythonError, got ${String(error)}`);
    assert.equal(error.pythonClass, pythonClass);
    return true;
  });
}

function throwsPython(fn: () => unknown, pythonClass: string): void {
  assert.throws(fn, (error: unknown) => error instanceof PythonError && error.pythonClass === pythonClass);
}


interface Server {
  child: ChildProcess;
  port: number;
  done: ReturnType<typeof finish>;
}

async function startServer(kind: 'ts' | '3.11' | '3.12' | '3.13'): Promise<Server> {
  const child =
    kind === 'ts'
      ? spawn(process.execPath, [fixture('managers-sync-server.js'), authkey], { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(pythonFor(kind), [pythonScript('sync_server.py'), authkey], { stdio: ['pipe', 'pipe', 'pipe'] });
  const done = finish(child, 240_000);
  const line = await firstLine(child, 20_000);
  const match = /^listening 127\.0\.0\.1 (\d+)$/.exec(line);
  assert.ok(match, `the server printed ${line}`);
  return { child, port: Number(match[1]), done };
}

for (const kind of ['ts', '3.11', '3.12', '3.13'] as const) {
  describe(`SyncManager proxies against ${kind === 'ts' ? 'the TypeScript server' : `Python ${kind}'s server`}`, () => {
    let server: Server;
    let manager: SyncManager;

    before(async () => {
      server = await startServer(kind);
      manager = await new SyncManager({ address: ['127.0.0.1', server.port], authkey: new TextEncoder().encode(authkey) }).connect();
    });

    after(async () => {
      await manager.shutdown().catch(() => undefined);
      if (server.child.exitCode === null) {
        const ended = await server.done;
        assert.equal(ended.code, 0, ended.stderr);
      }
    });

    it('list: the cases of _TestContainers.test_list and test_list_iter', async () => {
      const a = await manager.list(Array.from({ length: 10 }, (_, i) => i));
      assert.deepEqual(await a.slice(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const b = await manager.list<number>();
      assert.deepEqual(await b.tolist(), []);
      await b.extend([0, 1, 2, 3, 4]);
      assert.equal(await b.getitem(2), 2);
      assert.deepEqual(await b.slice(2, 10), [2, 3, 4]);
      await b.imul(2);
      assert.deepEqual(await b.tolist(), [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
      assert.deepEqual(await b.add([5, 6]), [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6]);
      assert.deepEqual(await a.slice(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.deepEqual(await a.slice(null, null, -3), [9, 6, 3, 0]);
      const seen: number[] = [];
      for await (const item of a) seen.push(item);
      assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // Iterating by index sees a change made meanwhile, as Python's does.
      const iterator = a[Symbol.asyncIterator]();
      await a.setitem(0, 100);
      assert.deepEqual(await iterator.next(), { value: 100, done: false });
      await iterator.return();
      await a.setitem(new Slice(1, 3), [-1]);
      await a.delitem(-1);
      await a.insert(0, 7);
      assert.deepEqual(await a.tolist(), [7, 100, -1, 3, 4, 5, 6, 7, 8]);
      assert.equal(await a.index(7, 1), 7);
      assert.equal(await a.count(7), 2);
      assert.equal(await a.contains(-1), true);
      assert.equal(await a.pop(), 8);
      assert.equal(await a.pop(0), 7);
      await a.sort({ reverse: true });
      assert.deepEqual(await a.tolist(), [100, 7, 6, 5, 4, 3, -1]);
      await a.reverse();
      assert.equal(await a.len(), 7);
      assert.equal(await a.str(), '[-1, 3, 4, 5, 6, 7, 100]');
      await raisesPython(a.getitem(10), 'IndexError');
      await raisesPython(a.remove(99), 'ValueError');
      await raisesPython(a.index(99), 'ValueError');
      await raisesPython(b.add(new Map() as never), 'TypeError');
      const mixed = await manager.list<unknown>([1, 'a']);
      await raisesPython(mixed.sort(), 'TypeError');
      const empty = await manager.list();
      await raisesPython(empty.pop(), 'IndexError');
      for (const proxy of [a, b, mixed, empty]) await proxy.release();
    });

    it('dict: the cases of _TestContainers.test_dict and test_dict_iter', async () => {
      const d = await manager.dict<number, string>();
      const indices = [65, 66, 67, 68, 69];
      for (const i of indices) await d.setitem(i, String.fromCharCode(i));
      assert.deepEqual(await d.copy(), new Map(indices.map((i) => [i, String.fromCharCode(i)])));
      assert.deepEqual((await d.keys()).sort(), indices);
      assert.deepEqual((await d.values()).sort(), ['A', 'B', 'C', 'D', 'E']);
      assert.deepEqual((await d.items()).map(([k, v]) => [k, v]), indices.map((i) => [i, String.fromCharCode(i)]));
      const keys: number[] = [];
      for await (const key of d) keys.push(key);
      assert.deepEqual(keys, indices);
      // The server's iterator: exhausted once, and failing once the dict changed size.
      const it = await d.callMethod('__iter__');
      assert.ok(it instanceof Object && 'next' in it);
      const iterator = it as unknown as { next(): Promise<number>; dispose(): Promise<void> };
      assert.equal(await iterator.next(), 65);
      await d.clear();
      await raisesPython(iterator.next(), 'RuntimeError');
      await iterator.dispose();
      await d.update(new Map([[1, 'one']]));
      assert.equal(await d.get(1), 'one');
      assert.equal(await d.get(2), null);
      assert.equal(await d.get(2, 'none'), 'none');
      assert.equal(await d.setdefault(3, 'three'), 'three');
      assert.equal(await d.contains(3), true);
      assert.equal(await d.len(), 2);
      await raisesPython(d.getitem(99), 'KeyError');
      await raisesPython(d.pop(99), 'KeyError');
      assert.equal(await d.pop(99, 'fallback'), 'fallback');
      assert.deepEqual([...(await d.popitem())], [3, 'three']);
      await d.delitem(1);
      await raisesPython(d.popitem(), 'KeyError');
      const named = await manager.dict({ ferrets: 2, hamsters: 4 });
      assert.equal(await named.getitem('hamsters'), 4);
      for (const proxy of [d, named]) await proxy.release();
    });

    it('nested proxies: the cases of _TestContainers.test_dict_proxy_nested and test_list_proxy_in_list', async () => {
      let pets: DictProxy<string, number> | undefined = await manager.dict({ ferrets: 2, hamsters: 4 });
      let supplies: DictProxy<string, number> | undefined = await manager.dict({ water: 10, feed: 3 });
      const d = await manager.dict<string, DictProxy<string, number>>({ pets, supplies });
      const inner = async (key: string): Promise<DictProxy<string, number>> => {
        const proxy = await d.getitem(key);
        assert.ok(proxy instanceof DictProxy, `d[${key}] is a live DictProxy`);
        return proxy;
      };
      assert.equal(await supplies.getitem('water'), 10);
      assert.equal(await (await inner('supplies')).getitem('water'), 10);
      await (await inner('supplies')).setitem('blankets', 5);
      assert.equal(await supplies.getitem('blankets'), 5);
      assert.equal(await (await inner('supplies')).getitem('blankets'), 5);
      await (await inner('supplies')).setitem('water', 7);
      assert.equal(await supplies.getitem('water'), 7);
      // The client's proxies go; the dict still holds what they named.
      await pets.release();
      await supplies.release();
      pets = undefined;
      supplies = undefined;
      assert.equal(await (await inner('pets')).getitem('ferrets'), 2);
      await (await inner('supplies')).setitem('blankets', 11);
      assert.equal(await (await inner('supplies')).getitem('blankets'), 11);
      const pets2 = await inner('pets');
      const supplies2 = await inner('supplies');
      await supplies2.setitem('water', 7);
      assert.equal(await (await inner('supplies')).getitem('water'), 7);
      await d.clear();
      assert.equal(await d.len(), 0);
      assert.equal(await supplies2.getitem('water'), 7);
      assert.equal(await pets2.getitem('hamsters'), 4);
      const l = await manager.list<DictProxy<string, number>>([pets2, supplies2]);
      await (await l.getitem(0)).setitem('marmots', 1);
      assert.equal(await pets2.getitem('marmots'), 1);
      assert.equal(await (await l.getitem(0)).getitem('marmots'), 1);
      await pets2.release();
      await supplies2.release();
      assert.equal(await (await l.getitem(0)).getitem('marmots'), 1);
      const outer = await manager.list<unknown>([[88, 99], l]);
      const first = await outer.getitem(0);
      assert.ok(Array.isArray(first) && !(first instanceof ListProxy), 'a plain list stays a list');
      const last = await outer.getitem(-1);
      assert.ok(last instanceof ListProxy);
      assert.equal(await ((await last.getitem(-1)) as DictProxy<string, number>).getitem('feed'), 3);

      // test_list_proxy_in_list, and a blocking view's replies made live the same way.
      const a = await manager.list(await Promise.all([0, 1, 2].map(() => manager.list([0, 1, 2]))));
      const rows = await a.slice();
      assert.ok(rows.every((row) => row instanceof ListProxy));
      assert.deepEqual(await Promise.all(rows.map((row) => row.slice())), [[0, 1, 2], [0, 1, 2], [0, 1, 2]]);
      await (await a.getitem(0)).setitem(-1, 55);
      assert.deepEqual(await (await a.getitem(0)).slice(), [0, 1, 55]);
      const row = a.blocking.getitem(1);
      assert.ok(row instanceof ListProxy);
      assert.equal(row.isBlocking, false);
      assert.equal(row.blocking.pop(), 2);
      assert.equal(await (await a.getitem(1)).len(), 2);
      for (const proxy of [d, l, outer, a, last, row, ...rows]) await proxy.release();
    });

    it('Namespace: the case of _TestNamespace.test_namespace', async () => {
      const n = await manager.Namespace<{ name: string; job: string; _hidden: string }>();
      await n.setattr('name', 'Bob');
      await n.setattr('job', 'Builder');
      await n.setattr('_hidden', 'hidden');
      assert.deepEqual([await n.getattr('name'), await n.getattr('job')], ['Bob', 'Builder']);
      await n.delattr('job');
      assert.equal(await n.str(), "Namespace(_hidden='hidden', name='Bob')".replace("_hidden='hidden', ", ''));
      await raisesPython(n.getattr('job'), 'AttributeError');
      const given = await manager.Namespace({ x: 1 });
      assert.equal(await given.getattr('x'), 1);
      await n.release();
      await given.release();
    });

    it('Value and Array: the cases of _TestValue, as the proxies have them', async () => {
      const codes: [string, number, number][] = [['i', 4343, 24234], ['d', 3.625, -4.25], ['h', -232, 234], ['q', 2 ** 33, -(2 ** 33)], ['c', 65, 66]];
      for (const [typecode, first, second] of codes) {
        const v = await manager.Value(typecode, first);
        assert.equal(await v.get(), first);
        await v.set(second);
        assert.equal(await v.value, second);
        v.blocking.value = first;
        assert.equal(v.blocking.value, first);
        await v.release();
      }
      const v = await manager.Value('i', 0);
      assert.throws(() => {
        v.value = 1;
      }, TypeError);
      await v.release();
      const arr = await manager.Array('i', [0, 1, 2, 3, 4]);
      assert.equal(await arr.len(), 5);
      await arr.setitem(0, 10);
      assert.equal(await arr.getitem(0), 10);
      assert.equal(await arr.getitem(-1), 4);
      await raisesPython(arr.setitem(0, 1.5), 'TypeError');
      await raisesPython(arr.getitem(9), 'IndexError');
      await arr.release();
    });

    it('Event: the cases of _TestEvent.test_event, with the set coming from another connection', async () => {
      const event = await manager.Event();
      assert.equal(await event.is_set(), false);
      assert.equal(await event.wait(0), false);
      assert.equal(await event.wait(0.05), false);
      await event.set();
      assert.equal(await event.is_set(), true);
      assert.equal(await event.wait(), true);
      assert.equal(await event.wait(0.05), true);
      await event.clear();
      const waiting = event.wait(20);
      // The waiter's call is blocked on its own connection; a second one sets the flag.
      await event.set();
      assert.equal(await within(waiting), true);
      assert.equal(event.blocking.wait(1), true);
      await event.release();
    });

    it('Condition: notify(n) through the manager wakes exactly n of the waiters, notify_all the rest', async () => {
      const condition = await manager.Condition();
      await raisesPython(condition.wait(0.05), 'RuntimeError');
      await raisesPython(condition.notify(), 'RuntimeError');
      assert.equal(await condition.acquire(), true);
      assert.equal(await condition.wait(0.05), false);
      await condition.release();
      const waiters: ConditionProxy[] = [];
      for (let k = 0; k < 4; k++) waiters.push(await condition.clone());
      let woken = 0;
      const waits: Promise<boolean>[] = [];
      for (const waiter of waiters) {
        // Each acquire succeeds only once the waiter before it is waiting (wait released the lock).
        assert.equal(await within(waiter.acquire()), true);
        waits.push(
          waiter.wait(60).then(async (notified) => {
            woken++;
            await waiter.release();
            return notified;
          }),
        );
      }
      assert.equal(await within(condition.acquire()), true);
      assert.equal(woken, 0);
      await condition.notify(2);
      await condition.release();
      const first = await within(Promise.race([Promise.all(waits.slice(0, 2)), Promise.all(waits.slice(2))]));
      assert.deepEqual(first, [true, true]);
      // Taking the lock again orders this after both woken waiters let it go: still exactly two have woken.
      assert.equal(await within(condition.acquire()), true);
      assert.equal(woken, 2);
      await condition.notify_all();
      await condition.release();
      assert.deepEqual(await within(Promise.all(waits)), [true, true, true, true]);
      assert.equal(woken, 4);
      for (const proxy of [condition, ...waiters]) await proxy.dispose();
    });

    it('Condition.wait_for: the predicate checked with the lock held, until true or the timeout', async () => {
      const condition = await manager.Condition();
      const setter = await condition.clone();
      const flag = await manager.Value('i', 0);
      await condition.acquire();
      assert.equal(await condition.wait_for(() => false, 0.05), false);
      const waiting = condition.wait_for(async () => (await flag.get()) === 1, 30);
      // The setter gets the lock only once wait_for waits (and released it).
      assert.equal(await within(setter.acquire()), true);
      await flag.set(1);
      await setter.notify();
      await setter.release();
      assert.equal(await within(waiting), true);
      await condition.release();
      for (const proxy of [condition, setter, flag]) await proxy.dispose();
    });

    it('Lock, RLock and semaphores: a lock held by one owner is not acquirable by another', async () => {
      const lock = await manager.Lock();
      const other = await lock.clone();
      assert.equal(await lock.acquire(), true);
      assert.equal(await other.acquire(false), false);
      assert.equal(await other.acquire(true, 0.05), false);
      await lock.release();
      assert.equal(await other.acquire(false), true);
      // A Lock is no one's: the first proxy may release what the second took, as with threading.Lock.
      await lock.release();
      await raisesPython(lock.release(), 'RuntimeError');
      await raisesPython(lock.acquire(false, 1), 'ValueError');

      const rlock = await manager.RLock();
      const second = await rlock.clone();
      assert.equal(await rlock.acquire(), true);
      assert.equal(await rlock.acquire(), true);
      assert.equal(await second.acquire(false), false);
      assert.equal(await second.acquire(true, 0.05), false);
      await raisesPython(second.release(), 'RuntimeError');
      await rlock.release();
      assert.equal(await second.acquire(false), false);
      await rlock.release();
      assert.equal(await second.acquire(false), true);
      await second.release();

      const semaphore = await manager.Semaphore(2);
      assert.equal(await semaphore.acquire(), true);
      assert.equal(await semaphore.acquire(), true);
      assert.equal(await semaphore.acquire(true, 0.05), false);
      assert.equal(await semaphore.acquire(false), false);
      await semaphore.release();
      assert.equal(await semaphore.acquire(false), true);
      const bounded = await manager.BoundedSemaphore(1);
      assert.equal(await bounded.acquire(), true);
      await bounded.release();
      await raisesPython(bounded.release(), 'ValueError');
      await assert.rejects(manager.Semaphore(-1), (error: { code?: string; remoteTraceback?: string }) => {
        assert.equal(error.code, 'ERR_MP_MANAGER_REMOTE');
        assert.match(error.remoteTraceback ?? '', /ValueError: semaphore initial value must be >= 0\n/);
        return true;
      });
      for (const proxy of [lock, other, rlock, second, semaphore, bounded]) await proxy.dispose();
    });

    it('Barrier: the cases of _TestBarrier (wait returns, abort, reset)', async () => {
      const barrier = await manager.Barrier(3);
      assert.equal(await barrier.parties, 3);
      assert.equal(await barrier.n_waiting, 0);
      const indices = await within(Promise.all([barrier.wait(20), barrier.wait(20), barrier.wait(20)]));
      assert.deepEqual([...indices].sort(), [0, 1, 2]);
      assert.equal(await barrier.n_waiting, 0);
      assert.equal(await barrier.broken, false);
      const waiting = [barrier.wait(20), barrier.wait(20)];
      for (const settled of waiting) settled.catch(() => undefined);
      // Both parties are waiting once n_waiting says so; abort breaks the barrier for them.
      while ((await barrier.n_waiting) < 2) await new Promise((resolve) => setTimeout(resolve, 10));
      await barrier.abort();
      for (const settled of waiting) await raisesPython(within(settled), 'BrokenBarrierError');
      assert.equal(await barrier.broken, true);
      await raisesPython(barrier.wait(1), 'BrokenBarrierError');
      await barrier.reset();
      assert.equal(await barrier.broken, false);
      // A party that times out breaks it.
      await raisesPython(barrier.wait(0.05), 'BrokenBarrierError');
      assert.equal(await barrier.broken, true);
      await barrier.release();
    });

    it('Queue and JoinableQueue: timeouts in seconds, queue.Empty and queue.Full, task_done and join', async () => {
      const q = await manager.Queue<number | string>();
      await q.put(1);
      await q.put_nowait('two');
      assert.equal(await q.qsize(), 2);
      assert.equal(await q.get(), 1);
      assert.equal(await q.get(true, 1), 'two');
      assert.equal(await q.empty(), true);
      await raisesPython(q.get(true, 0.05), 'Empty');
      await raisesPython(q.get_nowait(), 'Empty');
      const bounded = await manager.Queue<string>(1);
      await bounded.put('full');
      assert.equal(await bounded.full(), true);
      await raisesPython(bounded.put('x', true, 0.05), 'Full');
      const jq = await manager.JoinableQueue<string>();
      await jq.put('job');
      const joined = jq.join();
      assert.equal(await jq.get(), 'job');
      await jq.task_done();
      await within(joined);
      await raisesPython(jq.task_done(), 'ValueError');
      for (const proxy of [q, bounded, jq]) await proxy.release();
    });

    it('blocking views: the same proxies with calls that wait on this thread', () => {
      return (async () => {
        const l = await manager.list([1, 2]);
        const sync = l.blocking;
        assert.ok(sync instanceof ListProxy);
        sync.append(3);
        assert.deepEqual(sync.tolist(), [1, 2, 3]);
        assert.equal(sync.len(), 3);
        throwsPython(() => sync.getitem(9), 'IndexError');
        const q = await manager.Queue<number>();
        q.blocking.put(5);
        assert.equal(q.blocking.get(true, 1), 5);
        throwsPython(() => q.blocking.get(true, 0.05), 'Empty');
        const d = await manager.dict<string, number>();
        d.blocking.setitem('a', 1);
        assert.equal(await d.getitem('a'), 1);
        const lock = await manager.RLock();
        assert.equal(lock.blocking.acquire(), true);
        // The blocking view calls on the proxy's own connection: the same owner as its async calls.
        await lock.release();
        await l.release();
        assert.equal(l.blocking.released, true);
        assert.throws(() => sync.len(), (error: { code?: string }) => error.code === 'ERR_MP_PROXY_RELEASED');
        for (const proxy of [q, d, lock]) await proxy.dispose();
      })();
    });

    it('reference counts: a proxy keeps one reference, a clone another, and released proxies leave nothing counted', async () => {
      const before = await manager.numberOfObjects();
      const l = await manager.list([1]);
      const lock = await manager.RLock();
      assert.equal(await manager.numberOfObjects(), before + 2);
      const twin = await l.clone();
      assert.match(await manager.debugInfo(), new RegExp(`${l.token.id}:\\s+refcount=2`));
      await l.release();
      assert.equal(await manager.numberOfObjects(), before + 2);
      assert.equal(await twin.len(), 1);
      await twin.release();
      await lock.dispose();
      assert.equal(await manager.numberOfObjects(), before);
      // Releasing twice gives back one reference, not two.
      await twin.release();
      assert.equal(await manager.numberOfObjects(), before);
      await rejectsWithCode(twin.len(), 'ERR_MP_PROXY_RELEASED');
      for await (const key of await manager.dict({ a: 1 })) assert.equal(key, 'a');
      // The dict above was never released: the server still counts it (a FinalizationRegistry gives it back once collected).
      assert.equal(await manager.numberOfObjects(), before + 1);
      assert.equal(isStopIteration(new PythonError('builtins', 'StopIteration')), true);
    });
  });
}
