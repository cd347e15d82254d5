// The TypeScript side of test/python/pickle_corpus.py: the demo classes, registered, and what each value loads as.
import { readdirSync } from 'node:fs';
import {
  ByteArray,
  Complex,
  Decimal,
  Float,
  FrozenSet,
  OrderedDict,
  PickleGlobal,
  PickleObject,
  PickleRegistry,
  PyDate,
  PyDateTime,
  PyTime,
  PythonError,
  Timedelta,
  Timezone,
  Tuple,
  tuple,
} from '../../src/pickle/index.js';

export class Point {
  x: unknown;
  y: unknown;
}

export class Celsius {
  constructor(readonly degrees: number) {}
}

export class Slotted {
  a: unknown;
  b: unknown;
}

export class Made {
  constructor(
    readonly x: unknown,
    readonly y: unknown,
  ) {}
}

export function makePoint(x: unknown, y: unknown): Made {
  return new Made(x, y);
}

/** multiprocessing.managers.Token: __slots__ typeid, address, id; its state is the tuple of the three. */
export class Token {
  constructor(
    public typeid: string,
    public address: unknown,
    public id: string,
  ) {}
}

export const corpusRegistry = new PickleRegistry();
corpusRegistry.registerClass('demo', 'Point', Point);
corpusRegistry.registerClass('demo', 'Celsius', Celsius, { reduce: (c) => [Celsius, [c.degrees]] });
corpusRegistry.registerClass('demo', 'Slotted', Slotted, {
  getState: (s) => tuple(null, new Map([['a', s.a], ['b', s.b]])),
});
corpusRegistry.registerClass('demo', 'Made', Made, { reduce: (m) => [makePoint, [m.x, m.y]] });
corpusRegistry.registerFunction('demo', 'make_point', makePoint);
corpusRegistry.registerClass('multiprocessing.managers', 'Token', Token, {
  create: () => new Token('', null, ''),
  getState: (t) => tuple(t.typeid, t.address, t.id),
  setState: (t, state) => {
    const [typeid, address, id] = state as Tuple<string>;
    t.typeid = typeid!;
    t.address = address;
    t.id = id!;
  },
});

function instance<T extends object>(cls: new (...args: never[]) => T, fields: Record<string, unknown>): T {
  return Object.assign(Object.create(cls.prototype as object) as T, fields);
}

const token = new Token('Queue', tuple('127.0.0.1', 5000), '7f698f009c90');
const exposed = tuple('empty', 'full', 'get', 'get_nowait', 'join', 'put', 'put_nowait', 'qsize', 'task_done');
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const opaque = new PickleObject('newobj', new PickleGlobal('demo', 'Opaque'), tuple());
opaque.state = new Map<string, unknown>([['label', 'box'], ['items', [1, 2]]]);
const shared = [1];

/** What each corpus value loads as, with `{ floats: 'exact', unknownGlobals: 'keep' }`. */
export const expectedValues: Record<string, unknown> = {
  none: null,
  true: true,
  false: false,
  'int-0': 0,
  'int-255': 255,
  'int-256': 256,
  'int-65535': 65535,
  'int-65536': 65536,
  'int-minus-1': -1,
  'int-2**31-1': 2 ** 31 - 1,
  'int-minus-2**31': -(2 ** 31),
  'int-2**31': 2 ** 31,
  'int-minus-2**31-1': -(2 ** 31) - 1,
  'int-2**53-1': 2 ** 53 - 1,
  'int-2**53': 2n ** 53n,
  'int-2**63': 2n ** 63n,
  'int-minus-2**100': -(2n ** 100n),
  'int-2**2040': 2n ** 2040n,
  'float-1.5': 1.5,
  'float-minus-0': -0,
  'float-2': new Float(2),
  'float-inf': Infinity,
  'float-minus-inf': -Infinity,
  'float-1e300': new Float(1e300),
  'float-tiny': 5e-324,
  'str-empty': '',
  'str-x': 'x',
  'str-e-acute': 'é',
  'str-cjk': '日本語',
  'str-emoji': '😀 emoji',
  'str-lone-surrogate': 'a\ud800b',
  'str-256': 'a'.repeat(256),
  'str-70000': 'b'.repeat(70000),
  'str-escapes': 'back\\slash \\u0041 \n newline',
  'bytes-empty': new Uint8Array(0),
  'bytes-ab': Uint8Array.of(0x61, 0x62),
  'bytes-256': new Uint8Array(256),
  'bytes-70000': new Uint8Array(70000).fill(0xff),
  'bytearray-ab': ByteArray.of(0x61, 0x62),
  'bytearray-empty': new ByteArray(0),
  'tuple-0': tuple(),
  'tuple-1': tuple(1),
  'tuple-2': tuple(1, 2),
  'tuple-3': tuple(1, 2, 3),
  'tuple-4': tuple(1, 2, 3, 4),
  'list-0': [],
  'list-1': [1],
  'list-2': [1, 2],
  'list-1001': range(1001),
  'list-40000': range(40000).map((i) => (i * 1000003 > Number.MAX_SAFE_INTEGER ? BigInt(i) * 1000003n : i * 1000003)),
  'list-big-items': ['x'.repeat(30000), new Uint8Array(70000).fill(0x79), 'z'.repeat(40000), Array.from({ length: 9000 }, () => 1.5)],
  'list-2500-strings': range(2500).map((i) => `s${i % 300}`),
  'list-6000-shared-strings': ((names: string[]) => [...names, ...names.slice(0, 100), ...names.slice(4000, 4200), ...names.slice(5990)])([
    ...range(6000).map((i) => `n${i}`),
    ...range(20).map((i) => `${'L'.repeat(70)}${i}`),
  ]),
  'list-mixed': [1, 'two', 3.5, null, true, Uint8Array.of(0x73, 0x69, 0x78), tuple(7), [8]],
  'dict-0': new Map(),
  'dict-1': new Map([['a', 1]]),
  'dict-2': new Map([['a', 1], ['b', 2]]),
  'dict-nested': new Map<string, unknown>([['a', 1], ['b', [1.5, null, true]], ['c', Uint8Array.of(0, 255)]]),
  'dict-keys': new Map<unknown, string>([[1, 'one'], [tuple(1, 2), 'pair'], [null, 'none'], [2.5, 'float']]),
  'dict-1001': new Map(range(1001).map((i) => [`k${i}`, i])),
  'set-0': new Set(),
  'set-2': new Set([1, 2]),
  'set-1001': new Set(range(1001)),
  'frozenset-0': new FrozenSet(),
  'frozenset-1': new FrozenSet([1]),
  shared: [shared, shared],
  'repeated-strings': [new Map([['key', 1]]), new Map([['key', 2]]), 'key'],
  complex: new Complex(1, 2),
  decimal: new Decimal('-1.10'),
  'ordered-dict': new OrderedDict([['b', 1], ['a', 2]]),
  timedelta: new Timedelta(-1, 5, 7),
  date: new PyDate(2024, 2, 29),
  time: new PyTime(23, 59, 58, 999999),
  datetime: new PyDateTime(2024, 1, 2, 3, 4, 5, 6),
  'datetime-utc': new PyDateTime(2024, 1, 2, 3, 4, 5, 6, Timezone.utc),
  'datetime-fold': new PyDateTime(2024, 11, 3, 1, 30, 0, 0, null, 1),
  'timezone-named': new Timezone(new Timedelta(-1, 68400), 'EST'),
  'value-error': new PythonError('builtins', 'ValueError', ['bad']),
  'key-error': new PythonError('builtins', 'KeyError', ['k']),
  'exception-no-args': new PythonError('builtins', 'RuntimeError', []),
  'exception-state': new PythonError('builtins', 'ValueError', ['with state'], new Map([['detail', 42]])),
  'queue-empty': new PythonError('_queue', 'Empty', []),
  'pool-exception': new PythonError('builtins', 'ValueError', ['in a task'], undefined, '\n"""\nValueError: in a task\n"""'),
  point: instance(Point, { x: 1, y: 2 }),
  celsius: new Celsius(-273.15),
  slotted: instance(Slotted, { a: 1, b: 'b' }),
  made: new Made(3, 4),
  'class-ref': Point,
  'function-ref': makePoint,
  opaque,
  token,
  'msg-dummy': tuple(null, 'dummy', tuple(), new Map()),
  'msg-create': tuple(null, 'create', tuple('get_task_queue'), new Map()),
  'msg-put': tuple('7f698f009c90', 'put', tuple('x'), new Map<string, unknown>([['block', false], ['timeout', 1.5]])),
  'msg-return-none': tuple('#RETURN', null),
  'msg-return-create': tuple('#RETURN', tuple('7f698f009c90', exposed)),
  'msg-error': tuple('#ERROR', new PythonError('_queue', 'Empty', [])),
  'msg-traceback': tuple('#TRACEBACK', 'Traceback (most recent call last):\n  File "x.py", line 1\nKeyError: \'x\'\n'),
  'msg-proxy': tuple('#PROXY', tuple(exposed, token)),
  'msg-get-methods': tuple(null, 'get_methods', tuple(token), new Map()),
  'msg-manager-sized': tuple(
    '7f698f009c90',
    'put',
    tuple(new Map<string, unknown>([['id', 17], ['tags', ['a', 'b']], ['values', range(20)], ['ratio', 0.25]]), token),
    new Map([['block', true]]),
  ),
};

/** The interpreters the corpus runs on: 3.11 (`python3`), 3.12 and 3.13 from pyenv. A missing one is an error. */
export function corpusInterpreters(): { version: string; path: string }[] {
  const pyenv = `${process.env['PYENV_ROOT'] ?? '/root/.pyenv'}/versions`;
  let installed: string[] = [];
  try {
    installed = readdirSync(pyenv);
  } catch {
    // none: reported below
  }
  const pick = (version: string): string => {
    const found = installed.filter((name) => name.startsWith(`${version}.`)).sort();
    if (found.length === 0) throw new Error(`the pickle corpus needs Python ${version} under ${pyenv} (pyenv install ${version})`);
    return `${pyenv}/${found[found.length - 1]!}/bin/python3`;
  };
  return [
    { version: '3.11', path: process.env['MULTIPROC_PYTHON'] ?? 'python3' },
    { version: '3.12', path: pick('3.12') },
    { version: '3.13', path: pick('3.13') },
  ];
}
