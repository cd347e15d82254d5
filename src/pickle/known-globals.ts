// The Python globals every load allows: the builtins, datetime, decimal and exception names CPython's pickler uses
// for common values, and the Python 2 names they had.
import { dateFromState, dateTimeFromState, Timedelta, timeFromState, Timezone } from './datetime.js';
import { PickleFormatError } from './errors.js';
import { isKnownException, PythonError } from './python-error.js';
import { ByteArray, Complex, Decimal, Float, FrozenSet, OrderedDict, PickleGlobal, toTuple, Tuple } from './types.js';

/** What a known global's `REDUCE` may need from the reader: building an instance of another global. */
export interface Instantiator {
  instantiate(callable: unknown, args: Tuple, kind: 'call' | 'new'): unknown;
}

type Call = (args: Tuple, reader: Instantiator) => unknown;

/** A global the reader maps to a TypeScript value; alone it stays a PickleGlobal. */
export class KnownGlobal extends PickleGlobal {
  constructor(
    module: string,
    name: string,
    readonly call: Call,
  ) {
    super(module, name);
  }
}

function iterableItems(value: unknown, what: string): Iterable<unknown> {
  if (Array.isArray(value) || value instanceof Set) return value as Iterable<unknown>;
  if (value instanceof Map) return value.keys();
  throw new PickleFormatError(`${what}() was given something that is not a list, tuple or set`);
}

function latin1Bytes(text: unknown, what: string): Uint8Array {
  if (typeof text !== 'string') throw new PickleFormatError(`${what} needs a str`);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) throw new PickleFormatError(`${what}: a character above U+00FF has no latin-1 byte`);
    bytes[i] = code;
  }
  return bytes;
}

function isLatin1Name(value: unknown): boolean {
  return typeof value === 'string' && /^(latin[-_]?1|iso[-_]?8859[-_]?1|l1)$/i.test(value);
}

function num(value: unknown, what: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Float) return value.value;
  throw new PickleFormatError(`${what} needs a number`);
}

const table = new Map<string, KnownGlobal>();

function define(module: string, name: string, call: Call): KnownGlobal {
  const known = new KnownGlobal(module, name, call);
  table.set(`${module}\n${name}`, known);
  return known;
}

export const SET = define('builtins', 'set', (args) => new Set(args.length === 0 ? [] : iterableItems(args[0], 'set')));
export const FROZENSET = define('builtins', 'frozenset', (args) => new FrozenSet(args.length === 0 ? [] : iterableItems(args[0], 'frozenset')));
export const BYTEARRAY = define('builtins', 'bytearray', (args) => {
  if (args.length === 0) return new ByteArray(0);
  const source = args[0];
  if (source instanceof Uint8Array) return ByteArray.from(source);
  if (typeof source === 'string' && isLatin1Name(args[1])) return ByteArray.from(latin1Bytes(source, 'bytearray'));
  throw new PickleFormatError('bytearray() needs bytes, or a str and the latin-1 encoding');
});
export const BYTES = define('builtins', 'bytes', (args) => {
  if (args.length === 0) return new Uint8Array(0);
  throw new PickleFormatError('bytes() is read only without arguments (protocol 2 writes b"" so)');
});
export const CODECS_ENCODE = define('_codecs', 'encode', (args) => {
  if (!isLatin1Name(args[1])) throw new PickleFormatError('_codecs.encode is read only with the latin-1 encoding (protocol 2 bytes)');
  return latin1Bytes(args[0], '_codecs.encode');
});
export const COMPLEX = define('builtins', 'complex', (args) => new Complex(num(args[0] ?? 0, 'complex'), num(args[1] ?? 0, 'complex')));
export const ORDERED_DICT = define('collections', 'OrderedDict', (args) => {
  const dict = new OrderedDict();
  if (args.length > 0) {
    for (const pair of iterableItems(args[0], 'OrderedDict')) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new PickleFormatError('OrderedDict() needs (key, value) pairs');
      dict.set(pair[0], pair[1]);
    }
  }
  return dict;
});
export const DECIMAL = define('decimal', 'Decimal', (args) => {
  if (typeof args[0] !== 'string') throw new PickleFormatError('Decimal() is read only from its str form');
  return new Decimal(args[0]);
});
export const TIMEDELTA = define('datetime', 'timedelta', (args) => new Timedelta(num(args[0] ?? 0, 'timedelta'), num(args[1] ?? 0, 'timedelta'), num(args[2] ?? 0, 'timedelta')));
export const TIMEZONE = define('datetime', 'timezone', (args) => {
  if (!(args[0] instanceof Timedelta)) throw new PickleFormatError('timezone() needs a timedelta');
  if (args[1] !== undefined && typeof args[1] !== 'string') throw new PickleFormatError('a timezone name must be a str');
  return args[1] === undefined ? new Timezone(args[0]) : new Timezone(args[0], args[1]);
});
export const DATE = define('datetime', 'date', (args) => dateFromState(args));
export const TIME = define('datetime', 'time', (args) => timeFromState(args));
export const DATETIME = define('datetime', 'datetime', (args) => dateTimeFromState(args));
export const OBJECT = define('builtins', 'object', (args) => {
  throw new PickleFormatError(`builtins.object() is read only as copyreg._reconstructor's base (given ${args.length} arguments)`);
});
// Protocols 0 and 1 write an instance of a plain class as copyreg._reconstructor(cls, object, None).
define('copyreg', '_reconstructor', (args, reader) => {
  if (args.length !== 3 || args[1] !== OBJECT || args[2] !== null) throw new PickleFormatError('copyreg._reconstructor is read only for (cls, object, None)');
  return reader.instantiate(args[0], new Tuple(), 'new');
});
define('copyreg', '__newobj__', (args, reader) => {
  if (args.length === 0) throw new PickleFormatError('copyreg.__newobj__ needs a class');
  return reader.instantiate(args[0], toTuple(args.slice(1)), 'new');
});
// multiprocessing.pool sends a task's exception as rebuild_exc(exc, formatted traceback).
define('multiprocessing.pool', 'rebuild_exc', (args) => {
  const [exc, tb] = args;
  if (!(exc instanceof PythonError) || typeof tb !== 'string') throw new PickleFormatError('rebuild_exc needs an exception and a str');
  exc.traceback = tb;
  return exc;
});

/** The `rebuild_exc` global, for writing a PythonError that carries a traceback. */
export const REBUILD_EXC = table.get('multiprocessing.pool\nrebuild_exc')!;

const exceptionGlobals = new Map<string, KnownGlobal>();

/** The known global for `module.name`, after Python 2 names are mapped to Python 3 ones; undefined if not known. */
export function knownGlobal(module: string, name: string): KnownGlobal | undefined {
  const known = table.get(`${module}\n${name}`);
  if (known !== undefined) return known;
  if (isKnownException(module, name)) {
    const key = `${module}\n${name}`;
    let exception = exceptionGlobals.get(key);
    if (exception === undefined) {
      exception = new KnownGlobal(module, name, (args) => new PythonError(module, name, args));
      exceptionGlobals.set(key, exception);
    }
    return exception;
  }
  return undefined;
}

const py2Modules: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg', Queue: 'queue', exceptions: 'builtins' };
const py2Builtins: Record<string, string> = { xrange: 'range', unicode: 'str', long: 'int', unichr: 'chr', basestring: 'str' };

/** Python 2 module and builtin names as Python 3 reads them (`fix_imports`). */
export function py3Name(module: string, name: string): [string, string] {
  const mapped = py2Modules[module];
  if (mapped === undefined) {
    if (module === 'multiprocessing' && /^(ProcessError|BufferTooShort|TimeoutError|AuthenticationError)$/.test(name)) return ['multiprocessing.context', name];
    return [module, name];
  }
  if (mapped === 'builtins') return ['builtins', py2Builtins[name] ?? name];
  return [mapped, name];
}

// Python 2 had these builtin exceptions; protocol 2 writes the others as the nearest one it had.
const py2Exceptions = new Set(
  ('ArithmeticError AssertionError AttributeError BaseException BufferError BytesWarning DeprecationWarning EOFError EnvironmentError ' +
    'Exception FloatingPointError FutureWarning GeneratorExit IOError ImportError ImportWarning IndentationError IndexError KeyError ' +
    'KeyboardInterrupt LookupError MemoryError NameError NotImplementedError OSError OverflowError PendingDeprecationWarning ReferenceError ' +
    'RuntimeError RuntimeWarning StopIteration SyntaxError SyntaxWarning SystemError SystemExit TabError TypeError UnboundLocalError ' +
    'UnicodeDecodeError UnicodeEncodeError UnicodeError UnicodeTranslateError UnicodeWarning UserWarning ValueError Warning ZeroDivisionError').split(' '),
);
const osErrors = new Set(
  ('BrokenPipeError ChildProcessError ConnectionAbortedError ConnectionError ConnectionRefusedError ConnectionResetError FileExistsError ' +
    'FileNotFoundError InterruptedError IsADirectoryError NotADirectoryError PermissionError ProcessLookupError TimeoutError').split(' '),
);
const py2BuiltinNames: Record<string, [string, string]> = {
  range: ['__builtin__', 'xrange'],
  chr: ['__builtin__', 'unichr'],
  str: ['__builtin__', 'unicode'],
  int: ['__builtin__', 'long'],
  zip: ['itertools', 'izip'],
  map: ['itertools', 'imap'],
  filter: ['itertools', 'ifilter'],
};

/** The names protocol 2 writes (`fix_imports`, as CPython's pickler maps them). */
export function py2Name(module: string, name: string): [string, string] {
  switch (module) {
    case 'builtins':
      if (py2Exceptions.has(name)) return ['exceptions', name];
      if (osErrors.has(name)) return ['exceptions', 'OSError'];
      if (name === 'ModuleNotFoundError') return ['exceptions', 'ImportError'];
      return py2BuiltinNames[name] ?? ['__builtin__', name];
    case 'copyreg':
      return ['copy_reg', name];
    case 'queue':
      return ['Queue', name];
    case '_pickle':
      return ['pickle', name];
    case 'multiprocessing.context':
      return /^(ProcessError|BufferTooShort|TimeoutError|AuthenticationError)$/.test(name) ? ['multiprocessing', name] : [module, name];
    default:
      return [module, name];
  }
}

