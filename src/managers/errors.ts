// Errors of manager servers, clients and proxies, each with a stable code.
import type { ErrorCodeOf } from '../error-codes.js';
import { MultiprocError, type MultiprocErrorOptions } from '../errors.js';
import { AuthenticationError, ConnectionClosedError, ConnectionEofError, ConnectionFailedError, ConnectionTimeoutError } from '../connection/errors.js';

/**
 * The manager server failed to run a request and sent back its traceback text: an unknown typeid, function,
 * ident or method (`#TRACEBACK`, `ERR_MP_MANAGER_REMOTE`, Python's ManagerRemoteError), or a result it could not
 * pickle (`#UNSERIALIZABLE`, `ERR_MP_MANAGER_UNSERIALIZABLE`). `remoteTraceback` is the server's text.
 */
export class ManagerRemoteError extends MultiprocError {
  readonly remoteTraceback: string;

  constructor(code: ErrorCodeOf<'ManagerRemoteError'>, remoteTraceback: string) {
    const last = remoteTraceback.trimEnd().split('\n').at(-1) ?? '';
    super(code, code === 'ERR_MP_MANAGER_UNSERIALIZABLE' ? `the server could not pickle the result: ${last}` : `the manager server failed: ${last}`);
    this.remoteTraceback = remoteTraceback;
  }
}

/** A reply that is no `(kind, payload)` pair of a known kind, or a request of the wrong shape (`ERR_MP_MANAGER_PROTOCOL`). */
export class ManagerProtocolError extends MultiprocError {
  constructor(message: string, options: MultiprocErrorOptions = {}) {
    super('ERR_MP_MANAGER_PROTOCOL', message, options);
  }
}

/**
 * A manager used in the wrong state: a proxy after `release()` (`ERR_MP_PROXY_RELEASED`), a server started twice
 * or after shutdown, a manager after `close()` (`ERR_MP_MANAGER_STATE`).
 */
export class ManagerStateError extends MultiprocError {
  constructor(code: ErrorCodeOf<'ManagerStateError'>, message: string) {
    super(code, message);
  }
}

/** Whether `error` says the other side can no longer be reached (closed, gone, refused), rather than that a request failed. */
export function isConnectionLoss(error: unknown): boolean {
  return (
    error instanceof ConnectionEofError ||
    error instanceof ConnectionFailedError ||
    error instanceof ConnectionClosedError ||
    error instanceof ConnectionTimeoutError ||
    error instanceof AuthenticationError
  );
}

/** `start()` could not bring its server up in a child process: the child failed to import, initialize or listen, or took too long (`ERR_MP_MANAGER_START_FAILED`). */
export class ManagerStartError extends MultiprocError {
  constructor(message: string, options: MultiprocErrorOptions = {}) {
    super('ERR_MP_MANAGER_START_FAILED', message, options);
  }
}
