// The root of every runtime error multiproc throws, and the argument-check message shape.

import type { ErrorCode } from './error-codes.js';

/** Every instance of every copy carries it (copies from before per-class brands check only this one). */
const brand = Symbol.for('multiproc.error');
/** A static getter every error class inherits: that class's own brand (see brandOf). */
const classBrand = Symbol.for('multiproc.error.brand');

/** Each class's brand once made (`Symbol.for` looks its key up in a global table). */
const brands = new WeakMap<object, symbol>();

/**
 * A class's brand, `Symbol.for('multiproc.error.' + its name)`: the same symbol in every copy of the package,
 * so the copies agree on which class an error is. Read through the static getter, so a subclass has its own
 * without declaring anything.
 */
function brandOf(cls: unknown): symbol | undefined {
  return typeof cls === 'function' ? (cls as { [classBrand]?: unknown })[classBrand] as symbol | undefined : undefined;
}

export interface MultiprocErrorOptions {
  cause?: unknown;
}

/**
 * Base class of every runtime error. `code` is stable (`ERR_MP_...`, listed in docs/errors.md); test and
 * branch on it, not on the message. `instanceof` works across two copies of the package, for this class and
 * each subclass: an error matches a class whose brand one of the classes it was made from carries.
 */
export class MultiprocError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options: MultiprocErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = code;
    this.name = new.target.name;
  }

  get [brand](): true {
    return true;
  }

  static get [classBrand](): symbol {
    let symbol = brands.get(this);
    if (symbol === undefined) brands.set(this, (symbol = Symbol.for(`multiproc.error.${this.name}`)));
    return symbol;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    // Every copy's errors carry the common brand (older copies, only that one): without it, no class matches.
    if ((value as Record<symbol, unknown>)[brand] !== true) return false;
    if (this === MultiprocError) return true;
    // Another copy's error: walk its classes (their prototypes' constructors) for this class's brand.
    const wanted = (this as { [classBrand]: symbol })[classBrand];
    for (let proto: unknown = Object.getPrototypeOf(value); proto !== null; proto = Object.getPrototypeOf(proto)) {
      if (Object.hasOwn(proto as object, 'constructor') && brandOf((proto as { constructor: unknown }).constructor) === wanted) return true;
    }
    return false;
  }
}

/** Describes a received value for an argument error: `` `0` (number)``. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `\`${JSON.stringify(value)}\` (string)`;
    case 'bigint':
      return `\`${value}n\` (bigint)`;
    case 'function':
      return '`function` (function)';
    case 'object':
      return value === null ? '`null`' : `\`${Object.prototype.toString.call(value)}\` (object)`;
    case 'symbol':
      return `\`${value.toString()}\` (symbol)`;
    default:
      return `\`${String(value)}\` (${typeof value})`;
  }
}

/** ``Expected `chunksize` to be a positive integer, got `0` (number)`` */
export function expected(name: string, what: string, value: unknown): string {
  return `Expected \`${name}\` to be ${what}, got ${describeValue(value)}`;
}

/** Throws a TypeError unless `value` is a plain options object (not null, not an array). */
export function checkObject(name: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(expected(name, 'an object', value));
}

/** Throws a TypeError unless `value` is undefined or a boolean (`'yes'`, `1` are mistakes, not truthy settings). */
export function checkBoolean(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') throw new TypeError(expected(name, 'a boolean', value));
}
