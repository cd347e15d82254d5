// The root of every runtime error multiproc throws, and the argument-check message shape.

const brand = Symbol.for('multiproc.error');

export interface MultiprocErrorOptions {
  cause?: unknown;
}

/**
 * Base class of every runtime error. `code` is stable (`ERR_MP_...`); test and branch on it, not on
 * the message. `instanceof` works across two copies of the package through a `Symbol.for` brand.
 */
export class MultiprocError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options: MultiprocErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = code;
    this.name = new.target.name;
  }

  get [brand](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === MultiprocError) {
      return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
    }
    return Function.prototype[Symbol.hasInstance].call(this, value);
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
