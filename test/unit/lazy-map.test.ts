// imap's engine without a pool: chunks are fakes a test settles by hand, counted while in flight.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProgressTracker } from '../../src/observe/progress.js';
import { lazyMap, type ChunkHandle, type LazyMapOptions } from '../../src/pool/lazy-map.js';

interface Chunk {
  items: number[];
  settled: boolean;
  dropped: boolean;
  resolve(): void;
  reject(error: Error): void;
}

/** Submitted chunks, with how many are in flight (submitted, not settled, not dropped) and the most ever. */
class Chunks {
  readonly all: Chunk[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Called with each new chunk: settles it automatically (or not, when undefined). */
  auto: ((chunk: Chunk) => void) | undefined;

  submit = (items: unknown[]): ChunkHandle => {
    let settle!: (values: unknown[] | Error) => void;
    const promise = new Promise<{ values: unknown[]; micros: number }>((resolve, reject) => {
      settle = (values) => (values instanceof Error ? reject(values) : resolve({ values, micros: 100 }));
    });
    const chunk: Chunk = {
      items: items as number[],
      settled: false,
      dropped: false,
      resolve: () => this.#end(chunk, () => settle(chunk.items.map((item) => item * 10))),
      reject: (error) => this.#end(chunk, () => settle(error)),
    };
    this.all.push(chunk);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.auto?.(chunk);
    return {
      promise,
      drop: () => {
        if (chunk.settled || chunk.dropped) return;
        chunk.dropped = true;
        this.inFlight--;
      },
    };
  };

  #end(chunk: Chunk, settle: () => void): void {
    assert.ok(!chunk.settled && !chunk.dropped, 'a chunk settles once, and never after it was dropped');
    chunk.settled = true;
    this.inFlight--;
    settle();
  }

  get unsettled(): Chunk[] {
    return this.all.filter((chunk) => !chunk.settled);
  }
}

function options(chunks: Chunks, overrides: Partial<LazyMapOptions> = {}): LazyMapOptions {
  return { ordered: true, chunksize: 2, maxInflight: 3, arrange: undefined, window: () => 0, submit: chunks.submit, tracker: undefined, ...overrides };
}

/** Lets the event loop turn until `condition` holds; fails after `ms`. */
async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
}

/** Settles each chunk after a pseudo-random number of event-loop turns, so they finish out of order. */
function settleShuffled(chunks: Chunks, seed: number): void {
  const next = random(seed);
  chunks.auto = (chunk) => {
    let turns = Math.floor(next() * 8);
    const tick = (): void => {
      if (chunk.dropped) return;
      if (turns-- === 0) chunk.resolve();
      else setImmediate(tick);
    };
    setImmediate(tick);
  };
}

/** An input that counts what was read and whether it was closed. */
function counted(items: Iterable<number>): { source: Generator<number>; read: () => number; closed: () => boolean } {
  let read = 0;
  let closed = false;
  function* source(): Generator<number> {
    try {
      for (const item of items) {
        read++;
        yield item;
      }
    } finally {
      closed = true;
    }
  }
  return { source: source(), read: () => read, closed: () => closed };
}

function* naturals(): Generator<number> {
  for (let i = 0; ; i++) yield i;
}

async function collect(results: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const value of results) out.push(value);
  return out;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('lazyMap: order and chunks in flight', () => {
  for (const ordered of [true, false]) {
    it(`${ordered ? 'ordered' : 'unordered'}: every item once, never more than maxInflight chunks in flight`, async () => {
      const chunks = new Chunks();
      settleShuffled(chunks, ordered ? 3 : 4);
      const out = await collect(lazyMap(range(101), options(chunks, { ordered, chunksize: 3, maxInflight: 4 })));
      if (ordered) assert.deepEqual(out, range(101).map((i) => i * 10));
      else assert.deepEqual([...out].sort((a, b) => (a as number) - (b as number)), range(101).map((i) => i * 10));
      assert.equal(chunks.all.length, 34, '101 items in chunks of 3');
      assert.equal(chunks.maxInFlight, 4, 'the bound is reached and never passed');
      assert.equal(chunks.inFlight, 0);
    });
  }

  it('ordered: a chunk finishing early waits for the ones before it', async () => {
    const chunks = new Chunks();
    const results = lazyMap(range(6), options(chunks));
    const first = results.next();
    await until(() => chunks.all.length === 3, 'three chunks submitted');
    chunks.all[2]!.resolve();
    chunks.all[1]!.resolve();
    let resolved = false;
    void first.then(() => (resolved = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(resolved, false, 'nothing is yielded before the first chunk is done');
    chunks.all[0]!.resolve();
    assert.deepEqual(await first, { done: false, value: 0 });
    assert.deepEqual(await collect(results), [10, 20, 30, 40, 50]);
  });

  it('unordered: yields chunks as they finish', async () => {
    const chunks = new Chunks();
    const results = lazyMap(range(6), options(chunks, { ordered: false }));
    const first = results.next();
    await until(() => chunks.all.length === 3, 'three chunks submitted');
    chunks.all[2]!.resolve();
    assert.deepEqual(await first, { done: false, value: 40 });
    assert.deepEqual(await results.next(), { done: false, value: 50 });
    chunks.all[0]!.resolve();
    chunks.all[1]!.resolve();
    assert.deepEqual(await collect(results), [0, 10, 20, 30]);
  });

  it('reads an endless input only as far as the chunks in flight need', async () => {
    const chunks = new Chunks();
    const input = counted(naturals());
    const results = lazyMap(input.source, options(chunks, { chunksize: 5, maxInflight: 2 }));
    const first = results.next();
    await until(() => chunks.all.length === 2, 'two chunks submitted');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(chunks.all.length, 2, 'no third chunk while two are in flight');
    assert.equal(input.read(), 10);
    chunks.all[0]!.resolve();
    assert.deepEqual(await first, { done: false, value: 0 });
    for (const value of [10, 20, 30, 40]) assert.deepEqual(await results.next(), { done: false, value });
    assert.equal(chunks.all.length, 2, 'a chunk counts until its values are taken');
    const sixth = results.next();
    await until(() => chunks.all.length === 3, 'a third chunk once the first one is taken');
    assert.equal(input.read(), 15);
    chunks.all[1]!.resolve();
    assert.deepEqual(await sixth, { done: false, value: 50 });
    await results.return();
    assert.ok(input.closed());
    assert.equal(chunks.inFlight, 0);
  });
});

describe('lazyMap: stopping early and failures', () => {
  it('the consumer returning early drops the chunks in flight, submits no more and closes the input', async () => {
    const chunks = new Chunks();
    settleShuffled(chunks, 9);
    const input = counted(naturals());
    const taken: unknown[] = [];
    for await (const value of lazyMap(input.source, options(chunks, { chunksize: 4, maxInflight: 3 }))) {
      taken.push(value);
      if (taken.length === 6) break;
    }
    assert.deepEqual(taken, [0, 10, 20, 30, 40, 50]);
    assert.ok(input.closed(), 'the input generator was returned');
    const submitted = chunks.all.length;
    assert.equal(chunks.inFlight, 0, 'nothing left in flight');
    assert.ok(chunks.all.some((chunk) => chunk.dropped), 'chunks still running were dropped');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(chunks.all.length, submitted, 'no chunk submitted after the consumer left');
    assert.ok(input.read() <= submitted * 4, 'nothing read beyond the chunks submitted');
  });

  it('an input that throws mid-way rejects with its error and drops what is in flight', async () => {
    const chunks = new Chunks();
    const boom = new Error('input failed');
    function* failing(): Generator<number> {
      yield* range(5);
      throw boom;
    }
    const results = lazyMap(failing(), options(chunks, { maxInflight: 10 }));
    await assert.rejects(results.next(), (error) => error === boom);
    assert.equal(chunks.all.length, 2, 'the two whole chunks read before the failure were submitted');
    assert.ok(chunks.all.every((chunk) => chunk.dropped), 'and dropped');
    assert.equal(chunks.inFlight, 0);
    assert.deepEqual(await results.next(), { done: true, value: undefined }, 'nothing after the failure');
  });

  it('an async input that rejects does the same', async () => {
    const chunks = new Chunks();
    const boom = new Error('async input failed');
    async function* failing(): AsyncGenerator<number> {
      yield* range(4);
      await Promise.resolve();
      throw boom;
    }
    const results = lazyMap(failing(), options(chunks, { maxInflight: 10 }));
    await assert.rejects(results.next(), (error) => error === boom);
    assert.equal(chunks.all.length, 2);
    assert.equal(chunks.inFlight, 0);
  });

  it('ordered: a failed chunk rejects after the results before it, and none after it come out', async () => {
    const chunks = new Chunks();
    const results = lazyMap(range(10), options(chunks, { maxInflight: 4 }));
    const out: unknown[] = [];
    const done = (async () => {
      for await (const value of results) out.push(value);
    })();
    await until(() => chunks.all.length === 4, 'four chunks submitted');
    const boom = new Error('chunk failed');
    chunks.all[2]!.resolve();
    chunks.all[1]!.reject(boom);
    chunks.all[0]!.resolve();
    await assert.rejects(done, (error) => error === boom);
    assert.deepEqual(out, [0, 10], 'the chunk after the failure finished but is not yielded');
    assert.ok(chunks.unsettled.length > 0 && chunks.unsettled.every((chunk) => chunk.dropped), 'the chunks still running are dropped');
    assert.equal(chunks.inFlight, 0);
  });

  it('unordered: the first chunk to fail rejects, dropping the rest', async () => {
    const chunks = new Chunks();
    const results = lazyMap(range(10), options(chunks, { ordered: false, maxInflight: 4 }));
    const first = results.next();
    await until(() => chunks.all.length === 4, 'four chunks submitted');
    const boom = new Error('chunk failed');
    chunks.all[3]!.reject(boom);
    await assert.rejects(first, (error) => error === boom);
    assert.deepEqual(chunks.unsettled.map((chunk) => chunk.dropped), [true, true, true]);
    assert.equal(chunks.inFlight, 0);
  });
});

describe('lazyMap: a window reordered before submission', () => {
  const reversed = (items: unknown[]): number[] => items.map((_, i) => items.length - 1 - i);

  it('submits each window in the arranged order and still yields in input order', async () => {
    const chunks = new Chunks();
    settleShuffled(chunks, 5);
    const out = await collect(lazyMap(range(10), options(chunks, { arrange: reversed, window: () => 6, maxInflight: 2 })));
    assert.deepEqual(out, range(10).map((i) => i * 10));
    assert.deepEqual(chunks.all.map((chunk) => chunk.items), [[5, 4], [3, 2], [1, 0], [9, 8], [7, 6]]);
    assert.ok(chunks.maxInFlight <= 2);
  });

  it('unordered: yields as chunks finish, each item once', async () => {
    const chunks = new Chunks();
    settleShuffled(chunks, 6);
    const out = await collect(lazyMap(range(13), options(chunks, { ordered: false, arrange: reversed, window: () => 4, maxInflight: 3 })));
    assert.deepEqual([...out].sort((a, b) => (a as number) - (b as number)), range(13).map((i) => i * 10));
    assert.deepEqual(chunks.all.slice(0, 2).map((chunk) => chunk.items), [[3, 2], [1, 0]]);
    assert.ok(chunks.maxInFlight <= 3);
  });

  it('ordered: finished results wait for earlier ones without reading a new window past two', async () => {
    const chunks = new Chunks();
    const input = counted(naturals());
    const results = lazyMap(input.source, options(chunks, { arrange: reversed, window: () => 4, maxInflight: 8 }));
    const first = results.next();
    await until(() => chunks.all.length === 2, 'the first window submitted');
    // Finish everything but the chunk holding item 0: nothing can be yielded yet.
    chunks.all[0]!.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(chunks.all.length, 2, 'no new window while a window of results is unyielded');
    assert.equal(input.read(), 4);
    chunks.all[1]!.resolve();
    assert.deepEqual(await first, { done: false, value: 0 });
    for (const value of [10, 20, 30]) assert.deepEqual(await results.next(), { done: false, value });
    const fifth = results.next();
    await until(() => chunks.all.length === 4, 'the next window once the first is taken');
    assert.equal(input.read(), 8);
    assert.deepEqual(chunks.all.slice(2).map((chunk) => chunk.items), [[7, 6], [5, 4]]);
    chunks.all[3]!.resolve();
    assert.deepEqual(await fifth, { done: false, value: 40 });
    await results.return();
    assert.ok(input.closed());
    assert.equal(chunks.inFlight, 0, 'the chunk still running was dropped');
  });

  it('ordered: a failed chunk yields the results before its first item, then rejects', async () => {
    const chunks = new Chunks();
    const boom = new Error('chunk failed');
    chunks.auto = (chunk) => setImmediate(() => (chunk.items.includes(2) ? chunk.reject(boom) : chunk.resolve()));
    const out: unknown[] = [];
    await assert.rejects(async () => {
      for await (const value of lazyMap(range(6), options(chunks, { arrange: reversed, window: () => 6 }))) out.push(value);
    }, (error) => error === boom);
    assert.deepEqual(out, [0, 10], 'items 4 and 5 succeeded, but come after the failure');
  });

  it('an input that throws while a window is read rejects with its error, submitting nothing of that window', async () => {
    const chunks = new Chunks();
    const boom = new Error('input failed');
    function* failing(): Generator<number> {
      yield* range(7);
      throw boom;
    }
    const results = lazyMap(failing(), options(chunks, { arrange: reversed, window: () => 4, maxInflight: 8 }));
    const out: unknown[] = [];
    chunks.auto = (chunk) => setImmediate(() => chunk.resolve());
    await assert.rejects(async () => {
      for await (const value of results) out.push(value);
    }, (error) => error === boom);
    assert.deepEqual(chunks.all.map((chunk) => chunk.items), [[3, 2], [1, 0]], 'the incomplete second window was never submitted');
    assert.ok(out.length <= 4);
    assert.equal(chunks.inFlight, 0);
  });
});

describe('lazyMap: progress', () => {
  it('counts each result as it is yielded, and finishes once, also when the consumer stops early', async () => {
    for (const [ordered, arrange] of [[true, undefined], [false, undefined], [true, (items: unknown[]) => items.map((_, i) => i)]] as const) {
      const chunks = new Chunks();
      settleShuffled(chunks, 2);
      const events: string[] = [];
      const tracker = { add: (n: number) => events.push(`add ${n}`), finish: () => events.push('finish') } as unknown as ProgressTracker;
      let taken = 0;
      for await (const _ of lazyMap(range(9), options(chunks, { ordered, arrange, window: () => 4, chunksize: 3, tracker }))) {
        void _;
        const added = events.filter((event) => event.startsWith('add')).reduce((sum, event) => sum + Number(event.slice(4)), 0);
        taken++;
        assert.ok(added >= taken, `counted before it is taken (${String(ordered)}, ${arrange === undefined ? 'fifo' : 'arranged'})`);
        if (taken === 5) break;
      }
      assert.equal(events.at(-1), 'finish');
      assert.equal(events.filter((event) => event === 'finish').length, 1);
      const added = events.filter((event) => event.startsWith('add')).reduce((sum, event) => sum + Number(event.slice(4)), 0);
      assert.ok(added >= 5 && added <= 9, `added ${added}`);
    }
  });
});
