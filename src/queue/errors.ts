// Errors of queues and pipes, each with a stable code.
import type { ErrorCodeOf } from '../error-codes.js';
import { MultiprocError, type MultiprocErrorOptions } from '../errors.js';

/** `put` could not add an item within its timeout (Python's queue.Full). */
export class QueueFullError extends MultiprocError {
  constructor(message = 'the queue is full') {
    super('ERR_MP_QUEUE_FULL', message);
  }
}

/** `get` found no item within its timeout (Python's queue.Empty). */
export class QueueEmptyError extends MultiprocError {
  constructor(message = 'the queue is empty') {
    super('ERR_MP_QUEUE_EMPTY', message);
  }
}

/**
 * Using a closed queue or connection (`ERR_MP_QUEUE_CLOSED`), `taskDone()` called more often than items were
 * put (`ERR_MP_TASK_DONE_TOO_MANY`), sending to a pipe whose other end is closed (`ERR_MP_PIPE_CLOSED`).
 */
export class QueueStateError extends MultiprocError {
  constructor(code: ErrorCodeOf<'QueueStateError'>, message: string, options: MultiprocErrorOptions = {}) {
    super(code, message, options);
  }
}

/** The other end of a pipe was closed and everything it sent has been received (Python's EOFError). */
export class PipeEofError extends MultiprocError {
  constructor() {
    super('ERR_MP_PIPE_EOF', 'the other end of the pipe was closed and nothing is left to receive');
  }
}

/**
 * `put` on a queue that was shut down, or `get` on one that is shut down and empty (or shut down with
 * `immediate`): Python 3.13's queue.ShutDown.
 */
export class QueueShutDownError extends MultiprocError {
  constructor(message = 'the queue is shut down') {
    super('ERR_MP_QUEUE_SHUT_DOWN', message);
  }
}

/** `recvBytesInto` got a message longer than the room left in the buffer; the message is in `bytes`. */
export class BufferTooShortError extends MultiprocError {
  /** The whole message, so it is not lost. */
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array, room: number) {
    super('ERR_MP_BUFFER_TOO_SHORT', `a ${bytes.length}-byte message does not fit in the ${room} bytes left in the buffer`);
    this.bytes = bytes;
  }
}
