// Errors of listeners and socket connections, each with a stable code.
import type { ErrorCodeOf } from '../error-codes.js';
import { MultiprocError, type MultiprocErrorOptions } from '../errors.js';

/**
 * The handshake failed: a wrong key on either side, a peer that does not speak the protocol
 * (`ERR_MP_AUTHENTICATION`, Python's AuthenticationError), or a peer that did not finish it within the
 * authentication deadline (`ERR_MP_AUTHENTICATION_TIMEOUT`). The connection is closed in every case.
 */
export class AuthenticationError extends MultiprocError {
  constructor(code: ErrorCodeOf<'AuthenticationError'>, message: string, options: MultiprocErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Using a connection or listener after `close()` (`ERR_MP_CONNECTION_CLOSED`, `ERR_MP_LISTENER_CLOSED`). */
export class ConnectionClosedError extends MultiprocError {
  constructor(code: ErrorCodeOf<'ConnectionClosedError'>, message: string) {
    super(code, message);
  }
}

/**
 * The peer closed the connection: between messages, once everything it sent was received
 * (`ERR_MP_CONNECTION_EOF`, Python's EOFError), or in the middle of a message
 * (`ERR_MP_CONNECTION_TRUNCATED`, Python's "got end of file during message").
 */
export class ConnectionEofError extends MultiprocError {
  constructor(code: ErrorCodeOf<'ConnectionEofError'>, message: string) {
    super(code, message);
  }
}

/**
 * A message longer than the connection's `maxMessageSize`, or than a `recvBytes(maxlength)`, was announced.
 * It is refused from its header, before anything is allocated, and the connection is closed (the rest of
 * the stream cannot be found without reading the message).
 */
export class MessageTooLargeError extends MultiprocError {
  /** The length the peer announced, in bytes. */
  readonly size: number;
  /** The limit it broke. */
  readonly limit: number;

  constructor(size: number, limit: number) {
    super('ERR_MP_MESSAGE_TOO_LARGE', `a ${size}-byte message is longer than the ${limit} bytes allowed`);
    this.size = size;
    this.limit = limit;
  }
}

/**
 * The socket failed: listening (`ERR_MP_LISTEN_FAILED`: address in use, no permission), connecting
 * (`ERR_MP_CONNECTION_FAILED`: refused, no such socket file) or while open
 * (`ERR_MP_CONNECTION_BROKEN`: reset by the peer, or writing to a peer that closed). The system error is the `cause`.
 */
export class ConnectionFailedError extends MultiprocError {
  constructor(code: ErrorCodeOf<'ConnectionFailedError'>, message: string, options: MultiprocErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A `recv`, `accept` or `Client` call with a `timeout` found nothing in time; nothing was lost. */
export class ConnectionTimeoutError extends MultiprocError {
  constructor(message: string) {
    super('ERR_MP_CONNECTION_TIMEOUT', message);
  }
}
