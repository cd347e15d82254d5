// Errors of the pickle reader and writer, each with a stable code.
import { MultiprocError } from '../errors.js';

/** The input ended before its `STOP`, or a length field claims more bytes than are left (`ERR_MP_PICKLE_TRUNCATED`). */
export class PickleTruncatedError extends MultiprocError {
  constructor(message: string) {
    super('ERR_MP_PICKLE_TRUNCATED', message);
  }
}

/** A byte that is no opcode, or a protocol this reader does not know (`ERR_MP_PICKLE_OPCODE`). */
export class PickleOpcodeError extends MultiprocError {
  constructor(message: string) {
    super('ERR_MP_PICKLE_OPCODE', message);
  }
}

/**
 * A stream whose opcodes are well formed but do not make a value: a missing `MARK`, an empty stack, an unknown memo
 * key, `APPEND` onto an int, a `datetime` with a state of the wrong size (`ERR_MP_PICKLE_INVALID`).
 */
export class PickleFormatError extends MultiprocError {
  constructor(message: string) {
    super('ERR_MP_PICKLE_INVALID', message);
  }
}

/** A global (`module.name`) that is not on the allow-list (`ERR_MP_PICKLE_GLOBAL`). */
export class PickleGlobalError extends MultiprocError {
  readonly module: string;
  readonly qualname: string;

  constructor(module: string, qualname: string) {
    super('ERR_MP_PICKLE_GLOBAL', `the global ${module}.${qualname} is not on the allow-list (register it with registerPickleClass or registerPickleFunction)`);
    this.module = module;
    this.qualname = qualname;
  }
}

/** A load or dump went past one of its limits (`ERR_MP_PICKLE_LIMIT`); `limit` names the option. */
export class PickleLimitError extends MultiprocError {
  readonly limit: string;

  constructor(limit: string, message: string) {
    super('ERR_MP_PICKLE_LIMIT', `${message} (the \`${limit}\` limit)`);
    this.limit = limit;
  }
}

/**
 * A value with no pickle form (a symbol, an unregistered class instance), or a stream feature refused here:
 * persistent ids, out-of-band buffers not given, extension codes (`ERR_MP_PICKLE_UNSUPPORTED`).
 */
export class PickleUnsupportedError extends MultiprocError {
  constructor(message: string) {
    super('ERR_MP_PICKLE_UNSUPPORTED', message);
  }
}
