// Errors the codec throws: what could not be encoded, and why bytes could not be decoded.
import { MultiprocError, type MultiprocErrorOptions } from '../errors.js';

/** A value that cannot travel (closure, unexported function, unregistered class...). Code `ERR_MP_ENCODE`. */
export class EncodeError extends MultiprocError {
  constructor(message: string, options: MultiprocErrorOptions = {}) {
    super('ERR_MP_ENCODE', message, options);
  }
}

/**
 * Bytes that cannot be decoded. Codes: `ERR_MP_DECODE` (truncated, corrupt or of an unknown version),
 * `ERR_MP_DECODE_NEEDS_IMPORT` (from `decodeSync`: a module must be imported first; use `decode`),
 * `ERR_MP_DECODE_UNTRUSTED_MODULE` (the sender names a module this side may not import),
 * `ERR_MP_DECODE_IMPORT` (the module failed to import), `ERR_MP_DECODE_UNKNOWN` (a class, function or
 * handle type this side has not registered).
 */
export class DecodeError extends MultiprocError {
  /** The module that must be imported, for `ERR_MP_DECODE_NEEDS_IMPORT`. */
  readonly moduleUrl: string | undefined;

  constructor(code: string, message: string, options: MultiprocErrorOptions & { moduleUrl?: string } = {}) {
    super(code, message, options);
    this.moduleUrl = options.moduleUrl;
  }
}
