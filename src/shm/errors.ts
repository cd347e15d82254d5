// Errors of shared-memory segments, each with a stable code and the system call details when there are any.
import type { ErrorCodeOf } from '../error-codes.js';
import { MultiprocError } from '../errors.js';
import type { NativeSystemError } from '../native/binding.js';

export interface SystemDetails {
  errno?: number;
  syscall?: string;
  path?: string;
}

/** A shared-memory operation failed; `errno`, `syscall` and `path` say where when the OS refused. */
export class SharedMemoryError extends MultiprocError {
  readonly errno: number | undefined;
  readonly syscall: string | undefined;
  readonly path: string | undefined;

  constructor(code: ErrorCodeOf<'SharedMemoryError' | `SharedMemory${string}Error`>, message: string, details: SystemDetails & { cause?: unknown } = {}) {
    super(code, message, 'cause' in details ? { cause: details.cause } : {});
    this.errno = details.errno;
    this.syscall = details.syscall;
    this.path = details.path;
  }
}

/** Attaching to a name that does not exist. */
export class SharedMemoryNotFoundError extends SharedMemoryError {
  constructor(message: string, details: SystemDetails & { cause?: unknown } = {}) {
    super('ERR_MP_SHM_NOT_FOUND', message, details);
  }
}

/** Creating (exclusively) a name that already exists. */
export class SharedMemoryExistsError extends SharedMemoryError {
  constructor(message: string, details: SystemDetails & { cause?: unknown } = {}) {
    super('ERR_MP_SHM_EXISTS', message, details);
  }
}

/** Not enough room for the segment: reported when it is opened, never as a SIGBUS later. */
export class SharedMemoryNoSpaceError extends SharedMemoryError {
  constructor(message: string, details: SystemDetails & { cause?: unknown } = {}) {
    super('ERR_MP_SHM_NO_SPACE', message, details);
  }
}

/** The handle was closed; its buffer is no longer the segment. */
export class SharedMemoryClosedError extends SharedMemoryError {
  constructor(name: string) {
    super('ERR_MP_SHM_CLOSED', `SharedMemory '${name}' is closed; attach again to use the segment`);
  }
}

export function systemDetails(error: NativeSystemError): SystemDetails & { cause: unknown } {
  const details: SystemDetails & { cause: unknown } = { errno: error.errno, syscall: error.syscall, cause: error };
  if (error.path !== undefined) details.path = error.path;
  return details;
}
