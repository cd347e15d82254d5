# What Python's sharedctypes and SharedMemoryManager do in the cases test/sharedctypes.test.ts repeats in
# TypeScript: prints one JSON object, case name -> {"ok": value} or {"error": exception class name}.
import json
from multiprocessing import sharedctypes
from multiprocessing.managers import SharedMemoryManager


def enc(x):
    if isinstance(x, bytes):
        return {'bytes': list(x)}
    if isinstance(x, list):
        return [enc(v) for v in x]
    return x


def run(fn):
    try:
        return {'ok': enc(fn())}
    except Exception as e:  # noqa: BLE001 - the class is the answer
        return {'error': type(e).__name__}


def assigned(obj, attr, value, then):
    setattr(obj, attr, value)
    return then(obj)


def item_set(arr, i, value):
    arr[i] = value
    return arr.raw


def started_twice():
    smm = SharedMemoryManager()
    smm.start()
    try:
        smm.start()
    finally:
        smm.shutdown()


cases = {
    'Value c bytes': lambda: sharedctypes.Value('c', b'x').value,
    'RawValue c default': lambda: sharedctypes.RawValue('c').value,
    'Value c int': lambda: sharedctypes.Value('c', 65).value,
    'Value c str': lambda: sharedctypes.Value('c', 'x').value,
    'Value c 256': lambda: sharedctypes.Value('c', 256).value,
    'Value c two bytes': lambda: sharedctypes.Value('c', b'xy').value,
    'RawValue c set': lambda: assigned(sharedctypes.RawValue('c', b'x'), 'value', b'y', lambda v: v.value),
    'Array c value': lambda: sharedctypes.Array('c', b'hi\x00z').value,
    'Array c raw': lambda: sharedctypes.Array('c', b'hi\x00z').raw,
    'Array c item': lambda: sharedctypes.Array('c', b'hi\x00z')[1],
    'Array c items': lambda: list(sharedctypes.Array('c', b'hi\x00z')),
    'Array c set value': lambda: assigned(sharedctypes.Array('c', b'hi\x00z'), 'value', b'a', lambda a: a.raw),
    'Array c set raw': lambda: assigned(sharedctypes.Array('c', b'hi\x00z'), 'raw', b'xy', lambda a: a.raw),
    'Array c value too long': lambda: assigned(sharedctypes.Array('c', b'hi\x00z'), 'value', b'12345', lambda a: a.raw),
    'Array c raw too long': lambda: assigned(sharedctypes.Array('c', b'hi\x00z'), 'raw', b'12345', lambda a: a.raw),
    'Array c set item int': lambda: item_set(sharedctypes.Array('c', b'hi'), 0, 120),
    'Array c set item bytes': lambda: item_set(sharedctypes.RawArray('c', b'hi'), -1, b'o'),
    'Array c from size': lambda: sharedctypes.Array('c', 3).raw,
    'Array c from items': lambda: sharedctypes.RawArray('c', [b'a', 98]).raw,
    'Array c str': lambda: sharedctypes.Array('c', 'hi').raw,
    'Value bad typecode': lambda: sharedctypes.Value('x', 1).value,
    'RawValue bad typecode': lambda: sharedctypes.RawValue('x', 1).value,
    'Array bad typecode': lambda: sharedctypes.Array('x', 3)[0],
    'RawArray bad typecode': lambda: sharedctypes.RawArray('x', 3)[0],
    'manager SharedMemory before start': lambda: SharedMemoryManager().SharedMemory(9),
    'manager ShareableList before start': lambda: SharedMemoryManager().ShareableList([1]),
    'manager started twice': started_twice,
}

print(json.dumps({name: run(fn) for name, fn in cases.items()}), flush=True)
