# Python's side of the ShareableList interop tests: create a list or attach to one made by TypeScript.
import json
import sys
from multiprocessing import resource_tracker
from multiprocessing.shared_memory import ShareableList

from values_json import enc


def dump(sl):
    return {'items': [enc(x) for x in sl], 'format': sl.format}


def raw(name):
    with open('/dev/shm/' + name, 'rb') as f:
        return f.read().hex()


SAMPLES = {
    'one': ['howdy', b'HoWdY', -273.154, 100, None, True, 42],
    'two': ['', b'', 'h\u00e9llo w\u00f6rld', 'exactly8', 2**63 - 1, -1, False, float('inf')],
    'empty': [],
}

mode = sys.argv[1]
if mode == 'attach':
    sl = ShareableList(name=sys.argv[2])
    # Python registers even attached segments and would unlink this one at exit: it is not ours.
    resource_tracker.unregister(sl.shm._name, 'shared_memory')
    before = dump(sl)
    sl[0] = 'from python'
    sl[1] = 12345
    sl[2] = None
    errors = []
    try:
        sl[3] = 'x' * 100
    except ValueError as e:
        errors.append(str(e))
    try:
        sl[99] = 1
    except IndexError as e:
        errors.append(str(e))
    print(json.dumps({'before': before, 'after': dump(sl), 'errors': errors}), flush=True)
    sl.shm.close()
elif mode == 'create':
    sl = ShareableList(SAMPLES[sys.argv[2]])
    print(json.dumps({'name': sl.shm.name, 'raw': raw(sl.shm.name)}), flush=True)
    sys.stdin.readline()
    print(json.dumps(dump(sl)), flush=True)
    sl.shm.close()
    sl.shm.unlink()
