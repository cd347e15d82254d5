// The options of loads and dumps, with their defaults.
import { expected } from '../errors.js';
import { pickleRegistry, type PickleRegistry } from './registry.js';

export interface LoadOptions {
  /** The allow-list of classes and functions. @default pickleRegistry */
  registry?: PickleRegistry;
  /**
   * A global that is not on the allow-list: `'error'` throws ERR_MP_PICKLE_GLOBAL; `'keep'` gives a PickleGlobal,
   * and what is built from it a PickleObject, both of which pickle back to the same bytes. @default 'error'
   */
  unknownGlobals?: 'error' | 'keep';
  /** A dict as a `Map` (any keys), or as a plain object (str keys only; another key is ERR_MP_PICKLE_UNSUPPORTED). @default 'map' */
  dict?: 'map' | 'object';
  /** Floats as plain numbers, or (`'exact'`) those with a whole value as Float, so they pickle back as floats. @default 'number' */
  floats?: 'number' | 'exact';
  /** How Python 2 `str` (`STRING`, `BINSTRING`, `SHORT_BINSTRING`) is read, as Python's `encoding`. @default 'ascii' */
  encoding?: 'ascii' | 'latin1' | 'utf8' | 'bytes';
  /** Out-of-band buffers for `NEXT_BUFFER` (protocol 5, `buffer_callback`); without them that opcode is refused. */
  buffers?: Iterable<Uint8Array>;
  /** Marked groups (`MARK`) open at once. @default 1000 */
  maxDepth?: number;
  /** Memo entries. @default 10_000_000 */
  maxMemo?: number;
  /** Bytes in one str or bytes object. @default 268_435_456 (256 MiB) */
  maxLength?: number;
  /** Bytes of strings and bytes, plus 8 per container slot, over the whole load. @default 1_073_741_824 (1 GiB) */
  maxAllocation?: number;
  /** Digits of an int written as text (protocol 0 `INT`, `LONG`), as Python's `sys.get_int_max_str_digits()`. @default 4300 */
  maxIntDigits?: number;
}

export interface DumpOptions {
  /** 2 to 5. @default 4 (Python 3.8 to 3.13's default) */
  protocol?: number;
  /** The allow-list of classes and functions. @default pickleRegistry */
  registry?: PickleRegistry;
  /** How deeply containers may nest (a cycle is no nesting: it is written once and referred to). @default 1000 */
  maxDepth?: number;
}

export interface ResolvedLoadOptions {
  registry: PickleRegistry;
  keepUnknown: boolean;
  dictAsObject: boolean;
  exactFloats: boolean;
  encoding: 'ascii' | 'latin1' | 'utf8' | 'bytes';
  buffers: Iterator<Uint8Array> | undefined;
  maxDepth: number;
  maxMemo: number;
  maxLength: number;
  maxAllocation: number;
  maxIntDigits: number;
}

function limit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || (!Number.isSafeInteger(value) && value !== Infinity)) {
    throw new RangeError(expected(name, 'a non-negative integer or Infinity', value));
  }
  return value;
}

function oneOf<T extends string>(name: string, value: T | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!choices.includes(value)) throw new TypeError(expected(name, choices.map((c) => `'${c}'`).join(' or '), value));
  return value;
}

const defaultLoad: ResolvedLoadOptions = {
  registry: pickleRegistry,
  keepUnknown: false,
  dictAsObject: false,
  exactFloats: false,
  encoding: 'ascii',
  buffers: undefined,
  maxDepth: 1000,
  maxMemo: 10_000_000,
  maxLength: 268_435_456,
  maxAllocation: 1_073_741_824,
  maxIntDigits: 4300,
};

// The same options object passed to every load (the usual way) is resolved once; what it held then is kept with it,
// so a changed field is seen. The fields are compared one by one by name: a loop over the keys would be a keyed
// load per field, which cost a small load more than its reading.
const resolvedCache = new WeakMap<LoadOptions, { seen: LoadOptions; resolved: ResolvedLoadOptions }>();

function sameOptions(a: LoadOptions, b: LoadOptions): boolean {
  return a.registry === b.registry && a.unknownGlobals === b.unknownGlobals && a.dict === b.dict && a.floats === b.floats &&
    a.encoding === b.encoding && a.maxDepth === b.maxDepth && a.maxMemo === b.maxMemo && a.maxLength === b.maxLength &&
    a.maxAllocation === b.maxAllocation && a.maxIntDigits === b.maxIntDigits;
}

// `{ registry }` and nothing else, the usual options, often written as a new literal at each call: resolved once
// per registry, with no look-up keyed by the options object.
const registryOnly = new WeakMap<PickleRegistry, ResolvedLoadOptions>();

function onlyRegistry(o: LoadOptions): boolean {
  return o.buffers === undefined && o.unknownGlobals === undefined && o.dict === undefined && o.floats === undefined &&
    o.encoding === undefined && o.maxDepth === undefined && o.maxMemo === undefined && o.maxLength === undefined &&
    o.maxAllocation === undefined && o.maxIntDigits === undefined;
}

export function resolveLoadOptions(options: LoadOptions | undefined): ResolvedLoadOptions {
  if (options === undefined) return defaultLoad;
  if (typeof options !== 'object' || options === null) throw new TypeError(expected('options', 'an object', options));
  const given = options.registry;
  if (onlyRegistry(options) && (given === undefined || (typeof given === 'object' && given !== null))) {
    if (given === undefined || given === pickleRegistry) return defaultLoad;
    let resolved = registryOnly.get(given);
    if (resolved === undefined) registryOnly.set(given, (resolved = { ...defaultLoad, registry: given }));
    return resolved;
  }
  if (options.buffers !== undefined) return resolveFresh(options);
  const cached = resolvedCache.get(options);
  if (cached !== undefined && sameOptions(options, cached.seen)) return cached.resolved;
  const resolved = resolveFresh(options);
  const { registry, unknownGlobals, dict, floats, encoding, maxDepth, maxMemo, maxLength, maxAllocation, maxIntDigits } = options;
  const seen: LoadOptions = {};
  Object.assign(seen, { registry, unknownGlobals, dict, floats, encoding, maxDepth, maxMemo, maxLength, maxAllocation, maxIntDigits });
  resolvedCache.set(options, { seen, resolved });
  return resolved;
}

function resolveFresh(options: LoadOptions): ResolvedLoadOptions {
  let buffers: Iterator<Uint8Array> | undefined;
  if (options.buffers !== undefined) {
    const iterate = (options.buffers as Partial<Iterable<Uint8Array>> | null)?.[Symbol.iterator];
    if (typeof iterate !== 'function') throw new TypeError(expected('buffers', 'an iterable of Uint8Array', options.buffers));
    buffers = iterate.call(options.buffers);
  }
  return {
    registry: options.registry ?? pickleRegistry,
    keepUnknown: oneOf('unknownGlobals', options.unknownGlobals, ['error', 'keep'], 'error') === 'keep',
    dictAsObject: oneOf('dict', options.dict, ['map', 'object'], 'map') === 'object',
    exactFloats: oneOf('floats', options.floats, ['number', 'exact'], 'number') === 'exact',
    encoding: oneOf('encoding', options.encoding, ['ascii', 'latin1', 'utf8', 'bytes'], 'ascii'),
    buffers,
    maxDepth: limit('maxDepth', options.maxDepth, defaultLoad.maxDepth),
    maxMemo: limit('maxMemo', options.maxMemo, defaultLoad.maxMemo),
    maxLength: limit('maxLength', options.maxLength, defaultLoad.maxLength),
    maxAllocation: limit('maxAllocation', options.maxAllocation, defaultLoad.maxAllocation),
    maxIntDigits: limit('maxIntDigits', options.maxIntDigits, defaultLoad.maxIntDigits),
  };
}

export interface ResolvedDumpOptions {
  protocol: number;
  registry: PickleRegistry;
  maxDepth: number;
}

export function resolveDumpOptions(options: DumpOptions | undefined): ResolvedDumpOptions {
  if (options === undefined) return { protocol: 4, registry: pickleRegistry, maxDepth: 1000 };
  if (typeof options !== 'object' || options === null) throw new TypeError(expected('options', 'an object', options));
  const protocol = options.protocol ?? 4;
  if (protocol !== 2 && protocol !== 3 && protocol !== 4 && protocol !== 5) throw new RangeError(expected('protocol', 'an integer from 2 to 5', protocol));
  return { protocol, registry: options.registry ?? pickleRegistry, maxDepth: limit('maxDepth', options.maxDepth, 1000) };
}
