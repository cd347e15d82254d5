// A Python exception as a value: its class, its args, its state and the remote traceback text when one came along.
import { MultiprocError } from '../errors.js';
import { toTuple, Tuple } from './types.js';

/** The exception classes of `builtins` (3.11 to 3.13), which load as PythonError. */
export const BUILTIN_EXCEPTIONS: ReadonlySet<string> = new Set(
  (
    'ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup BlockingIOError BrokenPipeError BufferError ' +
    'BytesWarning ChildProcessError ConnectionAbortedError ConnectionError ConnectionRefusedError ConnectionResetError ' +
    'DeprecationWarning EOFError EncodingWarning EnvironmentError Exception ExceptionGroup FileExistsError FileNotFoundError ' +
    'FloatingPointError FutureWarning GeneratorExit IOError ImportError ImportWarning IndentationError IndexError InterruptedError ' +
    'IsADirectoryError KeyError KeyboardInterrupt LookupError MemoryError ModuleNotFoundError NameError NotADirectoryError ' +
    'NotImplementedError OSError OverflowError PendingDeprecationWarning PermissionError ProcessLookupError PythonFinalizationError ' +
    'RecursionError ReferenceError ResourceWarning RuntimeError RuntimeWarning StopAsyncIteration StopIteration SyntaxError ' +
    'SyntaxWarning SystemError SystemExit TabError TimeoutError TypeError UnboundLocalError UnicodeDecodeError UnicodeEncodeError ' +
    'UnicodeError UnicodeTranslateError UnicodeWarning UserWarning ValueError Warning ZeroDivisionError'
  ).split(' '),
);

/** Exceptions of other modules that multiprocessing sends (queue.Empty from a manager, RemoteError...). */
export const MODULE_EXCEPTIONS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['_queue', new Set(['Empty'])],
  ['queue', new Set(['Empty', 'Full', 'ShutDown'])],
  ['multiprocessing', new Set(['ProcessError', 'BufferTooShort', 'TimeoutError', 'AuthenticationError'])],
  ['multiprocessing.context', new Set(['ProcessError', 'BufferTooShort', 'TimeoutError', 'AuthenticationError'])],
  ['multiprocessing.managers', new Set(['RemoteError'])],
  ['multiprocessing.pool', new Set(['RemoteTraceback', 'MaybeEncodingError'])],
  ['pickle', new Set(['PickleError', 'PicklingError', 'UnpicklingError'])],
  ['_pickle', new Set(['PickleError', 'PicklingError', 'UnpicklingError'])],
  ['concurrent.futures._base', new Set(['CancelledError', 'TimeoutError', 'InvalidStateError'])],
  ['asyncio.exceptions', new Set(['CancelledError', 'TimeoutError', 'InvalidStateError'])],
]);

export function isKnownException(module: string, name: string): boolean {
  if (module === 'builtins') return BUILTIN_EXCEPTIONS.has(name);
  return MODULE_EXCEPTIONS.get(module)?.has(name) === true;
}

// Only scalars are spelled out: a message must not walk (or recurse into) a big or deep argument.
function pythonStr(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.length > 1000 ? `${value.slice(0, 1000)}...` : value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      if (value === null || value === undefined) return 'None';
      return `<${(Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'object'}>`;
  }
}

/**
 * A Python exception, loaded from a pickle or to be pickled: `pythonClass` (`ValueError`), `pythonModule`
 * (`builtins`), `pythonArgs` (`exc.args`), `state` (`exc.__dict__` when the pickle carried one) and `traceback`, the
 * formatted remote traceback when the exception came through `multiprocessing.pool` (`rebuild_exc`).
 */
export class PythonError extends MultiprocError {
  readonly pythonModule: string;
  readonly pythonClass: string;
  readonly pythonArgs: Tuple;
  state: unknown;
  traceback: string | undefined;

  constructor(pythonModule: string, pythonClass: string, args: readonly unknown[] = [], state?: unknown, traceback?: string) {
    const text = args.length === 1 ? pythonStr(args[0]) : args.length === 0 ? '' : args.slice(0, 10).map(pythonStr).join(', ') + (args.length > 10 ? ', ...' : '');
    super('ERR_MP_PYTHON_EXCEPTION', text === '' ? pythonClass : `${pythonClass}: ${text}`);
    this.pythonModule = pythonModule;
    this.pythonClass = pythonClass;
    this.pythonArgs = args instanceof Tuple ? args : toTuple(args);
    this.state = state;
    this.traceback = traceback;
  }
}

/** The Python class a JavaScript Error that is no PythonError pickles as. */
export function pythonClassOf(error: Error): string {
  if (error instanceof TypeError) return 'TypeError';
  if (error instanceof RangeError) return 'ValueError';
  return 'Exception';
}
