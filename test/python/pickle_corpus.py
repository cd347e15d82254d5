"""The pickle corpus: values CPython pickles, dumped for the TypeScript reader, and a checker for what it writes.

`python3 pickle_corpus.py dump` prints one JSON line per value and protocol (0 to 5): {"name", "protocol", "hex"}.
`python3 pickle_corpus.py check` reads such lines (written by the TypeScript side) on stdin, loads each with
pickle.loads, and prints one JSON line per entry: {"name", "protocol", "equal", "identical", "error"}; "identical"
says whether the bytes are those CPython's C pickler writes for the same value at the same protocol.
"""
import collections
import datetime
import decimal
import json
import math
import multiprocessing.managers
import multiprocessing.pool
import pickle
import queue
import sys

import demo


def exception_with_state():
    error = ValueError('with state')
    error.detail = 42
    return error


def corpus():
    shared = [1]
    token = multiprocessing.managers.Token('Queue', ('127.0.0.1', 5000), '7f698f009c90')
    exposed = ('empty', 'full', 'get', 'get_nowait', 'join', 'put', 'put_nowait', 'qsize', 'task_done')
    tb = multiprocessing.pool.ExceptionWithTraceback(ValueError('in a task'), None)
    # More distinct strings than the writer keeps from one dump to the next (4096), some over 64 characters, each
    # object repeated: before and after the point where the writer moves its strings to a table of their own.
    names = ['n%d' % i for i in range(6000)] + ['L' * 70 + str(i) for i in range(20)]
    return {
        'none': None,
        'true': True,
        'false': False,
        'int-0': 0,
        'int-255': 255,
        'int-256': 256,
        'int-65535': 65535,
        'int-65536': 65536,
        'int-minus-1': -1,
        'int-2**31-1': 2**31 - 1,
        'int-minus-2**31': -2**31,
        'int-2**31': 2**31,
        'int-minus-2**31-1': -2**31 - 1,
        'int-2**53-1': 2**53 - 1,
        'int-2**53': 2**53,
        'int-2**63': 2**63,
        'int-minus-2**100': -2**100,
        'int-2**2040': 2**2040,
        'float-1.5': 1.5,
        'float-minus-0': -0.0,
        'float-2': 2.0,
        'float-inf': math.inf,
        'float-minus-inf': -math.inf,
        'float-1e300': 1e300,
        'float-tiny': 5e-324,
        'str-empty': '',
        'str-x': 'x',
        'str-e-acute': 'é',
        'str-cjk': '日本語',
        'str-emoji': '😀 emoji',
        'str-lone-surrogate': 'a\ud800b',
        'str-256': 'a' * 256,
        'str-70000': 'b' * 70000,
        'str-escapes': 'back\\slash \\u0041 \n newline',
        'bytes-empty': b'',
        'bytes-ab': b'ab',
        'bytes-256': b'\x00' * 256,
        'bytes-70000': b'\xff' * 70000,
        'bytearray-ab': bytearray(b'ab'),
        'bytearray-empty': bytearray(),
        'tuple-0': (),
        'tuple-1': (1,),
        'tuple-2': (1, 2),
        'tuple-3': (1, 2, 3),
        'tuple-4': (1, 2, 3, 4),
        'list-0': [],
        'list-1': [1],
        'list-2': [1, 2],
        'list-1001': list(range(1001)),
        'list-40000': [i * 1000003 for i in range(40000)],
        'list-big-items': ['x' * 30000, b'y' * 70000, 'z' * 40000, [1.5] * 9000],
        'list-2500-strings': ['s%d' % (i % 300) for i in range(2500)],
        'list-6000-shared-strings': names + names[:100] + names[4000:4200] + names[5990:],
        'list-mixed': [1, 'two', 3.5, None, True, b'six', (7,), [8]],
        'dict-0': {},
        'dict-1': {'a': 1},
        'dict-2': {'a': 1, 'b': 2},
        'dict-nested': {'a': 1, 'b': [1.5, None, True], 'c': b'\x00\xff'},
        'dict-keys': {1: 'one', (1, 2): 'pair', None: 'none', 2.5: 'float'},
        'dict-1001': {'k%d' % i: i for i in range(1001)},
        'set-0': set(),
        'set-2': {1, 2},
        'set-1001': set(range(1001)),
        'frozenset-0': frozenset(),
        'frozenset-1': frozenset({1}),
        'shared': [shared, shared],
        'repeated-strings': [{'key': 1}, {'key': 2}, 'key'],
        'complex': 1 + 2j,
        'decimal': decimal.Decimal('-1.10'),
        'ordered-dict': collections.OrderedDict([('b', 1), ('a', 2)]),
        'timedelta': datetime.timedelta(days=-1, seconds=5, microseconds=7),
        'date': datetime.date(2024, 2, 29),
        'time': datetime.time(23, 59, 58, 999999),
        'datetime': datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
        'datetime-utc': datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc),
        'datetime-fold': datetime.datetime(2024, 11, 3, 1, 30, fold=1),
        'timezone-named': datetime.timezone(datetime.timedelta(hours=-5), 'EST'),
        'value-error': ValueError('bad'),
        'key-error': KeyError('k'),
        'exception-no-args': RuntimeError(),
        'exception-state': exception_with_state(),
        'queue-empty': queue.Empty(),
        'pool-exception': tb,
        'point': demo.Point(1, 2),
        'celsius': demo.Celsius(-273.15),
        'slotted': demo.Slotted(1, 'b'),
        'made': demo.Made(3, 4),
        'class-ref': demo.Point,
        'function-ref': demo.make_point,
        'opaque': demo.Opaque('box', [1, 2]),
        'token': token,
        'msg-dummy': (None, 'dummy', (), {}),
        'msg-create': (None, 'create', ('get_task_queue',), {}),
        'msg-put': ('7f698f009c90', 'put', ('x',), {'block': False, 'timeout': 1.5}),
        'msg-return-none': ('#RETURN', None),
        'msg-return-create': ('#RETURN', ('7f698f009c90', exposed)),
        'msg-error': ('#ERROR', queue.Empty()),
        'msg-traceback': ('#TRACEBACK', 'Traceback (most recent call last):\n  File "x.py", line 1\nKeyError: \'x\'\n'),
        'msg-proxy': ('#PROXY', (exposed, token)),
        'msg-get-methods': (None, 'get_methods', (token,), {}),
        'msg-manager-sized': (
            '7f698f009c90',
            'put',
            ({'id': 17, 'tags': ['a', 'b'], 'values': list(range(20)), 'ratio': 0.25}, token),
            {'block': True},
        ),
    }


def equal(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(equal(ka, kb) and equal(va, vb) for (ka, va), (kb, vb) in zip(a.items(), b.items()))
    if isinstance(a, BaseException):
        return equal(a.args, b.args) and equal(vars(a), vars(b))
    if isinstance(a, multiprocessing.managers.Token):
        return equal(a.__getstate__(), b.__getstate__())
    if isinstance(a, demo.Slotted):
        return equal((a.a, a.b), (b.a, b.b))
    if type(a).__module__ == 'demo' and not isinstance(a, type):
        return equal(vars(a), vars(b))
    return a == b


def main():
    values = corpus()
    if sys.argv[1] == 'dump':
        for name, value in values.items():
            for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
                try:
                    data = pickle.dumps(value, protocol)
                except TypeError as error:  # __slots__ without __getstate__ at protocols 0 and 1
                    print(json.dumps({'name': name, 'protocol': protocol, 'unpicklable': str(error)}))
                    continue
                print(json.dumps({'name': name, 'protocol': protocol, 'hex': data.hex()}))
        return
    # CPython's own bytes first: comparing can change a value (vars() gives an exception a __dict__).
    entries = [json.loads(line) for line in sys.stdin]
    reference = {(e['name'], e['protocol']): pickle.dumps(values[e['name']], e['protocol']) for e in entries}
    for entry in entries:
        name, protocol, data = entry['name'], entry['protocol'], bytes.fromhex(entry['hex'])
        result = {'name': name, 'protocol': protocol, 'equal': False, 'identical': False, 'error': None}
        try:
            loaded = pickle.loads(data)
            # What Python's own round trip gives (demo.Made comes back a Point through make_point).
            expected = pickle.loads(reference[name, protocol])
            if name == 'pool-exception':
                result['cause'] = str(loaded.__cause__)
            result['equal'] = equal(loaded, expected)
            result['identical'] = data == reference[name, protocol]
        except Exception as error:  # reported to the test, which fails on it
            result['error'] = '%s: %s' % (type(error).__name__, error)
        print(json.dumps(result))


main()
