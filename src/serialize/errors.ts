// Errors the codec throws: what could not be encoded, and why bytes could not be decoded.
import type { ErrorCodeOf } from '../error-codes.js';
import { MultiprocError, type MultiprocErrorOptions } from '../errors.js';
import { registry as sharedRegistry, type CodecRegistry } from './registry.js';

/**
 * Where multiproc's own error classes are registered with the codec, so one raised in a worker reaches the
 * caller as its class. No module has this URL: every side registers them as it loads them, whichever file
 * layout (compiled or bundled) it runs from, and decoding never tries to import it.
 */
export const libraryErrorsUrl = 'multiproc:errors';

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

  constructor(code: ErrorCodeOf<'DecodeError'>, message: string, options: MultiprocErrorOptions & { moduleUrl?: string } = {}) {
    super(code, message, options);
    this.moduleUrl = options.moduleUrl;
  }
}

sharedRegistry.registerClass(EncodeError, libraryErrorsUrl, { name: 'EncodeError' });
sharedRegistry.registerClass(DecodeError, libraryErrorsUrl, { name: 'DecodeError' });

/** Bytes that are not what they claim to be. */
export function corrupt(reason: string, cause?: unknown): DecodeError {
  return new DecodeError('ERR_MP_DECODE', `Cannot decode: ${reason}`, cause === undefined ? {} : { cause });
}

function dirOf(url: string): string {
  return url.slice(0, url.lastIndexOf('/') + 1);
}

/** The error for a class or function this side cannot resolve yet, saying what to do about it. */
export function unresolved(registry: CodecRegistry, moduleUrl: string, name: string, what: string): DecodeError {
  // A trusted module is imported once (cached if it already ran) so its exports are found by name.
  if (registry.isTrusted(moduleUrl) && !registry.wasImported(moduleUrl)) {
    return new DecodeError(
      'ERR_MP_DECODE_NEEDS_IMPORT',
      `Decoding ${what} \`${name}\` needs module ${moduleUrl} imported first (use decode(), which imports it)`,
      { moduleUrl },
    );
  }
  if (registry.isLoaded(moduleUrl)) {
    return new DecodeError(
      'ERR_MP_DECODE_UNKNOWN',
      `Cannot decode ${what} \`${name}\` from ${moduleUrl}: that module is loaded here but neither registers nor exports ` +
        `\`${name}\`. Export it and register it at the top level of that module (registerClass/registerFunction with ` +
        `import.meta.url) so every side knows it`,
    );
  }
  return new DecodeError(
    'ERR_MP_DECODE_UNTRUSTED_MODULE',
    `Cannot decode ${what} \`${name}\`: its module ${moduleUrl} is not loaded on this side, and decoding imports only ` +
      `trusted modules. Import the module here first, or trust it: trustModules('${dirOf(moduleUrl)}') or $MULTIPROC_TRUST_MODULES`,
  );
}
