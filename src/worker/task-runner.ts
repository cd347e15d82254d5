// Running what a work frame holds: one call, a chunk of a map (items in turn, one answer), or a batch of
// short calls (each claimed, run and answered as its own task).
import { now } from '../clock.js';
import type { Packet } from '../serialize/index.js';
import { decodeFast } from '../serialize/transport.js';
import { Word, type Channel } from '../wire/channel.js';
import { readBatch } from '../wire/batch-frame.js';
import { TaskFlag } from '../wire/protocol.js';
import type { Replies } from './replies.js';
import { definedFunction, isThenable, loadedFunction, resolveFunction, type TaskFunction } from './task-functions.js';

export class TaskRunner {
  readonly #channel: Channel;
  readonly #replies: Replies;
  /** The channel's epoch: start times are written relative to it. */
  readonly #epoch: number;

  constructor(channel: Channel, replies: Replies, epoch: number) {
    this.#channel = channel;
    this.#replies = replies;
    this.#epoch = epoch;
  }

  /** Returns a Promise only when the task (or its module import) is asynchronous. Skips a task the pool took back. */
  runTask(id: number, fnNumber: number, flags: number, seq: number, packet: Packet): Promise<void> | undefined {
    if (!this.#channel.claim(seq)) return undefined;
    const started = now();
    try {
      const name = definedFunction(fnNumber);
      const fn = loadedFunction(name);
      // The module first: importing it registers its classes, which the arguments may contain.
      const args = fn === undefined ? undefined : decodeFast(packet);
      if (fn === undefined || isThenable(args)) {
        return (async () => {
          let resolved: TaskFunction;
          let decoded: unknown;
          try {
            resolved = fn ?? (await resolveFunction(name));
            decoded = await (args ?? decodeFast(packet));
          } catch (error) {
            this.#replies.fail(id, error, started);
            return;
          }
          // A task's time is its own: the module's import, once per worker, does not count in it.
          await this.#execute(id, resolved, flags, decoded, fn === undefined ? now() : started);
        })();
      }
      return this.#execute(id, fn, flags, args, started);
    } catch (error) {
      this.#replies.fail(id, error, started);
      return undefined;
    }
  }

  #execute(id: number, fn: TaskFunction, flags: number, args: unknown, started: number): Promise<void> | undefined {
    const words = this.#channel.words;
    Atomics.store(words, Word.RunningSince, Date.now() - this.#epoch);
    Atomics.store(words, Word.Running, id);
    if (this.#channel.takeCancelled(id)) {
      // Aborted while waiting here; the pool has already settled it and ignores this answer.
      this.#replies.fail(id, new Error('cancelled'), started);
      return undefined;
    }
    try {
      const spread = (flags & TaskFlag.Spread) !== 0;
      if ((flags & TaskFlag.Chunk) === 0) {
        const result = spread ? fn(...(args as unknown[])) : fn(args);
        if (isThenable(result)) {
          return Promise.resolve(result).then((value) => this.#replies.succeed(id, value, started), (error: unknown) => this.#replies.fail(id, error, started));
        }
        this.#replies.succeed(id, result, started);
        return undefined;
      }
      const items = args as unknown[];
      const results = new Array<unknown>(items.length);
      for (let i = 0; i < items.length; i++) {
        const result = spread ? fn(...(items[i] as unknown[])) : fn(items[i]);
        if (isThenable(result)) return this.#finishChunkAsync(id, fn, spread, items, results, i, result, started);
        results[i] = result;
      }
      this.#replies.succeed(id, results, started);
      return undefined;
    } catch (error) {
      this.#replies.fail(id, error, started);
      return undefined;
    }
  }

  async #finishChunkAsync(id: number, fn: TaskFunction, spread: boolean, items: unknown[], results: unknown[], from: number,
    first: PromiseLike<unknown>, started: number): Promise<void> {
    try {
      results[from] = await first;
      for (let i = from + 1; i < items.length; i++) results[i] = await (spread ? fn(...(items[i] as unknown[])) : fn(items[i]));
      this.#replies.succeed(id, results, started);
    } catch (error) {
      this.#replies.fail(id, error, started);
    }
  }

  /**
   * Single calls sent together: each is claimed, runs and answers as its own task (errors stay per call, and
   * the pool may take back the calls not started yet); the pool is woken once, after the last.
   */
  runBatch(fnNumber: number, seq: number, payload: Uint8Array): Promise<void> | undefined {
    const { ids, args } = readBatch(payload);
    const name = definedFunction(fnNumber);
    const fn = loadedFunction(name);
    if (fn === undefined) {
      // The module first: importing it registers its classes, which the arguments may contain.
      return resolveFunction(name).then((resolved) => this.#startBatch(resolved, seq, ids, args), (error: unknown) => {
        for (let i = 0; i < ids.length && this.#channel.claim(seq + i); i++) this.#replies.fail(ids[i]!, error, now(), i + 1 < ids.length);
      });
    }
    return this.#startBatch(fn, seq, ids, args);
  }

  #startBatch(fn: TaskFunction, seq: number, ids: Int32Array, args: Packet): Promise<void> | undefined {
    let decoded: unknown;
    try {
      decoded = decodeFast(args);
    } catch {
      this.#sendAlone(seq, ids);
      return undefined;
    }
    if (!isThenable(decoded)) return this.#continueBatch(fn, seq, ids, decoded as unknown[][], 0);
    return Promise.resolve(decoded).then((argumentLists) => this.#continueBatch(fn, seq, ids, argumentLists as unknown[][], 0), () => this.#sendAlone(seq, ids));
  }

  /** The arguments of some call cannot be decoded here: every call is claimed and handed back unrun. */
  #sendAlone(seq: number, ids: Int32Array): void {
    for (let i = 0; i < ids.length && this.#channel.claim(seq + i); i++) this.#replies.sendAlone(ids[i]!, i + 1 < ids.length);
  }

  #continueBatch(fn: TaskFunction, seq: number, ids: Int32Array, argumentLists: unknown[][], from: number): Promise<void> | undefined {
    const words = this.#channel.words;
    for (let i = from; i < ids.length; i++) {
      // The pool takes back calls from the end, so the first one refused ends the batch.
      if (!this.#channel.claim(seq + i)) return undefined;
      const id = ids[i]!;
      const more = i + 1 < ids.length;
      const started = now();
      Atomics.store(words, Word.RunningSince, Date.now() - this.#epoch);
      Atomics.store(words, Word.Running, id);
      try {
        const result = fn(...argumentLists[i]!);
        if (isThenable(result)) {
          this.#replies.announce();
          return Promise.resolve(result)
            .then((value) => this.#replies.succeed(id, value, started, more), (error: unknown) => this.#replies.fail(id, error, started, more))
            .then(() => this.#continueBatchAfterWrite(fn, seq, ids, argumentLists, i + 1));
        }
        this.#replies.succeed(id, result, started, more);
      } catch (error) {
        this.#replies.fail(id, error, started, more);
      }
      // A result on the slow lane must be written out before the next call may start (and crash).
      if (this.#replies.writing) return this.#continueBatchAfterWrite(fn, seq, ids, argumentLists, i + 1);
    }
    return undefined;
  }

  async #continueBatchAfterWrite(fn: TaskFunction, seq: number, ids: Int32Array, argumentLists: unknown[][], from: number): Promise<void> {
    await this.#replies.takeWriting();
    await this.#continueBatch(fn, seq, ids, argumentLists, from);
  }
}
