// The checks of the pool's options and of its calls' options: a TypeError for a wrong type, a RangeError for
// a value out of range, each naming the option (the rule is in DESIGN, "Argument checks").
import type { ResourceLimits } from '../backends/backend-worker.js';
import { checkBoolean, checkObject, expected } from '../errors.js';
import { defaults, type CallOptions, type Chunksize, type MapOptions, type Order, type PoolOptions, type Progress } from './options.js';

export type Input<T> = Iterable<T> | AsyncIterable<T>;

const orders: readonly Order[] = ['fifo', 'shuffle', 'longest-first'];
const limitKeys: readonly (keyof ResourceLimits)[] = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'];

/** A number, else a TypeError saying what was wanted. */
function numberOf(name: string, what: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(expected(name, what, value));
  return value;
}

export function positiveInteger(name: string, value: unknown, infinity = false): number {
  const what = `a positive integer${infinity ? ' or Infinity' : ''}`;
  const number = numberOf(name, what, value);
  if ((infinity && number === Infinity) || (Number.isInteger(number) && number > 0)) return number;
  throw new RangeError(expected(name, what, value));
}

export function checkChunksize(name: string, value: unknown): Chunksize {
  if (value === 'auto') return value;
  return positiveInteger(name, numberOf(name, "a positive integer or 'auto'", value));
}

export function checkOrder(value: unknown): Order {
  if (orders.includes(value as Order)) return value as Order;
  // The type is the union of the names: another string is a wrong type, as TypeScript sees it.
  throw new TypeError(expected('order', `one of ${orders.map((order) => `'${order}'`).join(', ')}`, value));
}

export function checkTimeout(name: string, value: unknown): number {
  const what = 'a positive number of milliseconds or Infinity';
  const number = numberOf(name, what, value);
  if (number === Infinity || (number > 0 && Number.isFinite(number))) return number;
  throw new RangeError(expected(name, what, value));
}

export function checkRetries(value: unknown): number {
  const number = numberOf('retries', 'a non-negative integer', value);
  if (Number.isInteger(number) && number >= 0) return number;
  throw new RangeError(expected('retries', 'a non-negative integer', value));
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

export function checkInput(value: unknown): Input<unknown> {
  if (isAsyncIterable(value) || typeof (value as Iterable<unknown> | null)?.[Symbol.iterator] === 'function') return value as Input<unknown>;
  throw new TypeError(expected('items', 'an iterable or async iterable', value));
}

export function checkWorkers(value: unknown): number {
  const workers = positiveInteger('workers', value);
  if (workers > defaults.maxWorkers) throw new RangeError(expected('workers', `a positive integer up to ${defaults.maxWorkers}`, workers));
  return workers;
}

export function checkBackend(value: unknown): NonNullable<PoolOptions['backend']> {
  if (value === 'thread' || value === 'process') return value;
  throw new TypeError(expected('backend', "'thread' or 'process'", value));
}

export function checkInitargs(value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) throw new TypeError(expected('initargs', 'an array', value));
  return value;
}

export function checkSpinMicros(value: unknown): number {
  const what = `a number of microseconds from 0 to ${defaults.maxSpinMicros}`;
  const number = numberOf('spinMicros', what, value);
  if (number >= 0 && number <= defaults.maxSpinMicros) return number;
  throw new RangeError(expected('spinMicros', what, value));
}

export function checkAbortGraceMs(value: unknown): number {
  const what = 'a non-negative finite number of milliseconds';
  const number = numberOf('abortGraceMs', what, value);
  if (number >= 0 && Number.isFinite(number)) return number;
  throw new RangeError(expected('abortGraceMs', what, value));
}

/** Only the keys Node knows, each a non-negative finite number of MB (0: Node's default): a typo or a negative limit would otherwise reach Node. */
export function checkResourceLimits(value: unknown): ResourceLimits | undefined {
  if (value === undefined) return undefined;
  checkObject('resourceLimits', value);
  const limits: ResourceLimits = {};
  for (const [key, limit] of Object.entries(value as Record<string, unknown>)) {
    if (!limitKeys.includes(key as keyof ResourceLimits)) {
      throw new TypeError(`Expected \`resourceLimits\` to have only the keys ${limitKeys.map((k) => `\`${k}\``).join(', ')}, got the key \`${key}\``);
    }
    if (limit === undefined) continue;
    const name = `resourceLimits.${key}`;
    const what = "a non-negative finite number of MB (0: Node's default)";
    const number = numberOf(name, what, limit);
    if (!(number >= 0 && Number.isFinite(number))) throw new RangeError(expected(name, what, limit));
    limits[key as keyof ResourceLimits] = number;
  }
  return limits;
}

export function checkExecArgv(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new TypeError(expected('execArgv', 'an array of strings (Node flags)', value));
  value.forEach((flag: unknown, i) => {
    if (typeof flag !== 'string') throw new TypeError(expected(`execArgv[${i}]`, 'a string (a Node flag)', flag));
  });
  return value as string[];
}

export function checkEnv(value: unknown): Readonly<Record<string, string | undefined>> | undefined {
  if (value === undefined) return undefined;
  checkObject('env', value);
  for (const [key, setting] of Object.entries(value as Record<string, unknown>)) {
    if (setting !== undefined && typeof setting !== 'string') throw new TypeError(expected(`env.${key}`, 'a string or undefined', setting));
  }
  return value as Record<string, string | undefined>;
}

export function checkPoolOptions(options: unknown): PoolOptions {
  checkObject('options', options);
  return options as PoolOptions;
}

/** A call's own options (apply, map and the rest): their object, `signal` and `transfer`. */
export function checkCallOptions(options: unknown): CallOptions {
  checkObject('options', options);
  const { signal, transfer } = options as CallOptions;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(expected('signal', 'an AbortSignal', signal));
  if (transfer !== undefined && (!Array.isArray(transfer) || !transfer.every((buffer) => buffer instanceof ArrayBuffer))) {
    throw new TypeError(expected('transfer', 'an array of ArrayBuffers', transfer));
  }
  return options as CallOptions;
}

/** The options only map-like calls take, checked when given (each call also checks `chunksize` and `order` as it reads them). */
export function checkMapOptions(options: MapOptions): void {
  const { chunksize, order, cost, orderWindow, progress, onProgress } = options;
  if (chunksize !== undefined) checkChunksize('chunksize', chunksize);
  if (order !== undefined) checkOrder(order);
  if (cost !== undefined && typeof cost !== 'function') throw new TypeError(expected('cost', 'a function of an item', cost));
  if (orderWindow !== undefined) positiveInteger('orderWindow', orderWindow);
  checkBoolean('progress', progress);
  checkOnProgress(onProgress);
}

export function checkOnProgress(value: unknown): ((progress: Progress) => void) | undefined {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(expected('onProgress', 'a function', value));
  return value as ((progress: Progress) => void) | undefined;
}
