// The dashboard's pure parts: ring buffers and the top list stay within their bounds however much goes in,
// a pool's model keeps only what the page shows, task arguments and errors become bounded text, and who may
// read a dashboard.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { Access, isLoopback } from '../src/dashboard/access.js';
import { argsText, errorText } from '../src/dashboard/describe.js';
import { checkDashboardOptions } from '../src/dashboard/options.js';
import { limits, PoolModel } from '../src/dashboard/pool-model.js';
import { RingBuffer, TopK } from '../src/dashboard/ring-buffer.js';
import { SseHub } from '../src/dashboard/sse-hub.js';

describe('RingBuffer and TopK', () => {
  it('keeps the last items, oldest first, and never more than its capacity', () => {
    const ring = new RingBuffer<number>(5);
    assert.deepEqual(ring.toArray(), []);
    assert.equal(ring.last(), undefined);
    for (let i = 0; i < 3; i++) ring.push(i);
    assert.deepEqual(ring.toArray(), [0, 1, 2]);
    for (let i = 3; i < 100_000; i++) ring.push(i);
    assert.equal(ring.size, 5);
    assert.equal(ring.pushed, 100_000);
    assert.deepEqual(ring.toArray(), [99_995, 99_996, 99_997, 99_998, 99_999]);
    assert.equal(ring.last(), 99_999);
  });

  it('keeps the largest scores, highest first, and builds an item only when it enters', () => {
    const top = new TopK<{ score: number }>(3);
    let built = 0;
    for (const score of [5, 1, 9, 3, 9, 7, 2, 8]) top.offer(score, () => (built++, { score }));
    assert.deepEqual(top.toArray().map((item) => item.score), [9, 9, 8]);
    assert.equal(top.size, 3);
    // 5, 1, 9 fill it; 3 enters over 1; then 9, 7, 8 enter; 2 does not: 7 builds, not 8.
    assert.equal(built, 7);
    assert.throws(() => new RingBuffer(0), RangeError);
    assert.throws(() => new TopK(1.5), RangeError);
  });
});

const at = 1_700_000_000_000;
function created(workers = 2): PoolModel {
  return new PoolModel({ poolId: 7, pid: 1234, backend: 'thread', workers, maxTasksPerWorker: Infinity, insights: false, at });
}
function spawnWorkers(model: PoolModel, count: number): void {
  for (let index = 0; index < count; index++) {
    model.workerSpawned({ poolId: 7, workerId: index + 1, index, backend: 'thread', replaces: undefined, at });
    model.workerReady({ poolId: 7, workerId: index + 1, index, pid: 1234, threadId: index + 1, startupMs: 20, initMs: 0, at: at + 20 });
  }
}

describe('PoolModel', () => {
  it('splits a worker\'s time into working, transfer and idle, and shows what it runs now', () => {
    const model = created(1);
    spawnWorkers(model, 1);
    const task = { poolId: 7, taskId: 1, workerId: 1, index: 0, name: 'inc', url: 'file:///t.js', items: 10, mapId: 0 };
    model.taskStarted({ ...task, queued: 0, at: at + 100 });
    const running = model.view(at + 150, undefined).workers[0];
    assert.equal(running?.state, 'busy');
    assert.deepEqual(running?.current, { taskId: 1, name: 'inc', items: 10, since: at + 100 });
    model.taskFinished({ ...task, runMs: 30, args: [1, 2], at: at + 140 });
    const view = model.view(at + 200, undefined);
    const worker = view.workers[0];
    assert.equal(worker?.state, 'idle');
    assert.equal(worker?.current, undefined);
    assert.equal(worker?.busyMs, 30);
    assert.equal(worker?.waitMs, 10);
    assert.deepEqual(view.timeline[0]?.entries.map(({ kind, start, end }) => [kind, start - at, end - at]), [['transfer', 100, 110], ['working', 110, 140]]);
    assert.equal(view.itemsDone, 10);
    assert.equal(view.slowest[0]?.args, '1, 2');
  });

  it('measures the rate over the last seconds, and shows zero once nothing completed for the whole window', () => {
    const model = created(1);
    spawnWorkers(model, 1);
    for (let i = 1; i <= 4; i++) {
      const task = { poolId: 7, taskId: i, workerId: 1, index: 0, name: 'inc', url: 'file:///t.js', items: 100, mapId: 0 };
      model.taskStarted({ ...task, queued: 0, at: at + i * 1000 - 10 });
      model.taskFinished({ ...task, runMs: 5, args: [i], at: at + i * 1000 });
    }
    assert.equal(Math.round(model.view(at + 4000, undefined).rate), 100, '300 items over 3 s');
    assert.ok(model.view(at + 4000 + 5000, undefined).rate > 0, 'still within the window');
    assert.equal(model.view(at + 4000 + limits.rateSamples * 1000 + 1, undefined).rate, 0);
  });

  it('keeps every list within its limit however long the pool runs', () => {
    const model = created(2);
    spawnWorkers(model, 2);
    const rounds = 20_000;
    for (let i = 1; i <= rounds; i++) {
      const index = i % 2;
      const task = { poolId: 7, taskId: i, workerId: index + 1, index, name: 'work', url: 'file:///t.js', items: 1, mapId: i };
      model.mapStarted({ poolId: 7, mapId: i, kind: 'map', name: 'work', url: task.url, total: 1, at: at + i });
      model.taskStarted({ ...task, queued: 0, at: at + i });
      if (i % 3 === 0) model.taskFailed({ ...task, error: new Error(`failure ${i}`), runMs: 1, args: [i], at: at + i + 1 });
      else model.taskFinished({ ...task, runMs: i % 1000, args: [i], at: at + i + 1 });
      model.mapFinished({ poolId: 7, mapId: i, kind: 'map', done: 1, total: 1, elapsedMs: 1, error: undefined, at: at + i + 1 });
      if (i % 500 === 0) {
        model.workerCrashed({ poolId: 7, workerId: index + 1, index, pid: 1234, threadId: 1, exitCode: 1, signal: null, error: new Error('down'), stack: 'Error: down', task: undefined, at: at + i });
      }
    }
    const view = model.view(at + rounds + 10, undefined);
    for (const lane of view.timeline) assert.ok(lane.entries.length <= limits.timeline, `lane of ${lane.entries.length}`);
    assert.equal(view.errors.length, limits.errors);
    assert.equal(view.crashes.length, limits.crashes);
    assert.equal(view.slowest.length, limits.slowest);
    assert.equal(view.maps.length, limits.finishedMaps);
    assert.equal(view.tasksFailed, Math.floor(rounds / 3));
    assert.equal(view.tasksDone, rounds - Math.floor(rounds / 3));
    // The newest come first, and the slowest are the slowest.
    assert.equal(view.errors[0]?.error.message, `failure ${rounds - (rounds % 3)}`);
    assert.ok(view.slowest.every((task) => task.runMs === 999));
    assert.ok(JSON.stringify(view).length < 200_000, 'a pool\'s view stays small');
  });

  it('counts restarts in a slot and keeps its last crash with the stack', () => {
    const model = created(1);
    spawnWorkers(model, 1);
    model.workerCrashed({ poolId: 7, workerId: 1, index: 0, pid: 1234, threadId: 1, exitCode: 1, signal: null, error: new RangeError('gone'), stack: 'RangeError: gone\n    at task (file:///t.js:1:1)', task: { taskId: 3, name: 'crash', url: 'file:///t.js' }, at: at + 5 });
    model.workerExited({ poolId: 7, workerId: 1, index: 0, pid: 1234, threadId: 1, exitCode: 1, signal: null, reason: 'crashed', exitMs: 0, at: at + 5 });
    model.workerSpawned({ poolId: 7, workerId: 2, index: 0, backend: 'thread', replaces: 1, at: at + 6 });
    const worker = model.view(at + 10, undefined).workers[0];
    assert.equal(worker?.restarts, 1);
    assert.equal(worker?.state, 'starting');
    assert.equal(worker?.lastCrash?.task, 'crash');
    assert.match(worker?.lastCrash?.error?.stack ?? '', /at task \(file:\/\/\/t\.js/);
  });
});

describe('describing arguments and errors', () => {
  it('cuts long or deep arguments short and never walks a large structure', () => {
    const big = Array.from({ length: 1_000_000 }, (_, i) => i);
    const text = argsText([big, 'x'.repeat(10_000), { a: { b: { c: 1 } } }, new Float64Array(8), 3n]);
    assert.ok(text.length <= 200, `${text.length} characters`);
    assert.match(text, /^\[0, 1, 2, 3, 4, 5, 6, 7, …999992 more\]/);
    assert.equal(argsText([{ a: { b: { c: 1 } } }, new Float64Array(8), 3n, null, undefined]), '{a: {b: {…}}}, Float64Array(8), 3n, null, undefined');
    const hostile = new Proxy({}, { ownKeys() { throw new Error('no'); } });
    assert.equal(argsText([hostile]), '[arguments that cannot be shown]');
  });

  it('describes only as many of a chunk\'s items as fit in the text', () => {
    let read = 0;
    const chunk = new Proxy(Array.from({ length: 100_000 }, (_, i) => i), {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) read++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const text = argsText(chunk);
    assert.ok(text.length <= 200, `${text.length} characters`);
    assert.match(text, /^0, 1, 2, 3/);
    assert.ok(read < 100, `${read} items read to describe a chunk of 100,000`);
  });

  it('puts the remote stack (the cause) under the error\'s own', () => {
    const remote = new TypeError('refused');
    remote.stack = 'TypeError: refused\n    at fail (file:///worker/tasks.js:3:9)';
    const local = new Error('task failed', { cause: remote });
    const text = errorText(local);
    assert.equal(text.name, 'Error');
    assert.equal(text.message, 'task failed');
    assert.match(text.stack, /\[cause\] TypeError: refused\n {4}at fail \(file:\/\/\/worker\/tasks\.js:3:9\)/);
    assert.deepEqual(errorText('plain string'), { name: 'string', code: undefined, message: 'plain string', stack: 'plain string' });
  });
});

/** A response an SseHub writes to: what it was sent, as the states in it. */
class FakeResponse extends EventEmitter {
  readonly written: string[] = [];
  socket = null;
  writeHead(): this {
    return this;
  }
  write(text: string): boolean {
    this.written.push(text);
    return true;
  }
  end(): this {
    this.emit('close');
    return this;
  }
  states(): string[] {
    return this.written.filter((text) => text.startsWith('event: state\n')).map((text) => text.slice('event: state\ndata: '.length, -2));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('SseHub', () => {
  it('sends a page the state at once, then only states that show something new, and refreshes only what moves', async () => {
    let shown = 'a';
    let moving = false;
    let renders = 0;
    let last = 'a';
    const hub = new SseHub({
      render: (fresh) => {
        renders++;
        if (fresh) return shown;
        if (shown === last) return undefined;
        last = shown;
        return shown;
      },
      moving: () => moving, intervalMs: 10, refreshMs: 40,
    });
    const page = new FakeResponse();
    try {
      hub.subscribe(page as unknown as ServerResponse);
      assert.deepEqual(page.states(), ['a'], 'the state at once');
      // A change that shows nothing new: rendered, not sent, not counted.
      hub.markDirty();
      await sleep(60);
      assert.ok(renders >= 2);
      assert.deepEqual(page.states(), ['a']);
      assert.equal(hub.sent, 0);
      // Something new: sent once, however many changes marked it.
      shown = 'b';
      for (let i = 0; i < 100; i++) hub.markDirty();
      await sleep(60);
      assert.deepEqual(page.states(), ['a', 'b']);
      assert.equal(hub.sent, 1);
      // Nothing moves: no refresh renders at all.
      const still = renders;
      await sleep(150);
      assert.equal(renders, still, 'a still state is not refreshed');
      // Something moves (a task running): the refresh renders and sends what changed.
      moving = true;
      shown = 'c';
      hub.markDirty();
      await sleep(30);
      shown = 'd';
      await sleep(120);
      assert.deepEqual(page.states().slice(0, 4), ['a', 'b', 'c', 'd'], 'the refresh sent the moving state');
      // A second page gets the state at once; what it was sent still goes to the first page.
      moving = false;
      await sleep(60);
      shown = 'e';
      const second = new FakeResponse();
      hub.subscribe(second as unknown as ServerResponse);
      assert.deepEqual(second.states(), ['e']);
      hub.markDirty();
      await sleep(60);
      assert.equal(page.states().at(-1), 'e', 'the first page got the state the second was sent on subscribing');
    } finally {
      hub.close();
    }
  });
});

describe('access and options', () => {
  const url = (query: string): URL => new URL(`http://h/events${query}`);
  it('on loopback serves only loopback Host names; elsewhere only the token', () => {
    assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost') && isLoopback('127.3.2.1') && isLoopback('[::1]'));
    assert.ok(!isLoopback('0.0.0.0') && !isLoopback('10.0.0.1') && !isLoopback('::') && !isLoopback('127.0.0.1.example.com'));
    const loopback = new Access(undefined, true);
    assert.ok(loopback.allows('127.0.0.1:8080', url(''), undefined));
    assert.ok(loopback.allows('localhost', url(''), undefined));
    assert.ok(loopback.allows('[::1]:80', url(''), undefined));
    assert.ok(!loopback.allows('attacker.example:8080', url(''), undefined), 'a rebound name is refused');
    assert.ok(!loopback.allows(undefined, url(''), undefined));
    const bound = new Access('secret-token-123', false);
    assert.ok(!bound.allows('10.0.0.1:8080', url(''), undefined));
    assert.ok(!bound.allows('10.0.0.1:8080', url('?token=secret-token-12'), undefined));
    assert.ok(!bound.allows('10.0.0.1:8080', url('?token=wrong'), 'Bearer wrong'));
    assert.ok(bound.allows('10.0.0.1:8080', url('?token=secret-token-123'), undefined));
    assert.ok(bound.allows('10.0.0.1:8080', url(''), 'Bearer secret-token-123'));
  });

  it('checks the options as every option is checked', () => {
    assert.throws(() => checkDashboardOptions({ port: -1 }), RangeError);
    assert.throws(() => checkDashboardOptions({ port: 70_000 }), RangeError);
    assert.throws(() => checkDashboardOptions({ port: '80' }), TypeError);
    assert.throws(() => checkDashboardOptions({ host: '' }), TypeError);
    assert.throws(() => checkDashboardOptions({ token: 'short' }), TypeError);
    assert.throws(() => checkDashboardOptions({ token: 'has spaces in it' }), TypeError);
    assert.throws(() => checkDashboardOptions({ connect: 'not a url' }), TypeError);
    assert.throws(() => checkDashboardOptions(null), TypeError);
    assert.equal(checkDashboardOptions({}).token, undefined, 'no token on loopback');
    const elsewhere = checkDashboardOptions({ host: '0.0.0.0' });
    assert.match(elsewhere.token ?? '', /^[\w-]{32}$/, 'a random token when bound elsewhere');
    assert.notEqual(checkDashboardOptions({ host: '0.0.0.0' }).token, elsewhere.token);
  });
});
