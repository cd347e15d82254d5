# Python's side of the ShareableList byte-comparison tests. Values travel as JSON, tagged where JSON is not
# enough: {"int": "123"}, {"float": "nan"}, {"bytes": [1, 2]}; strings, booleans and null as they are.
#   create          read one JSON list from stdin, make a ShareableList of it, print it, unlink at the next line
#   attach NAME     print the list TypeScript made (name, raw bytes, format, items)
#   probe           read one JSON list; for each value, what a one-item list of it reads back as
import json
import sys
from multiprocessing import resource_tracker
from multiprocessing.shared_memory import ShareableList

from values_json import dec, enc


def dump(sl):
    with open('/dev/shm/' + sl.shm.name, 'rb') as f:
        raw = f.read().hex()
    return {'name': sl.shm.name, 'raw': raw, 'format': sl.format, 'items': [enc(x) for x in sl]}


mode = sys.argv[1]
if mode == 'create':
    sl = ShareableList([dec(x) for x in json.loads(sys.stdin.readline())])
    print(json.dumps(dump(sl)), flush=True)
    sys.stdin.readline()
    sl.shm.close()
    sl.shm.unlink()
elif mode == 'attach':
    sl = ShareableList(name=sys.argv[2])
    # Python registers even attached segments and would unlink this one at exit: it is not ours.
    resource_tracker.unregister(sl.shm._name, 'shared_memory')
    print(json.dumps(dump(sl)), flush=True)
    sl.shm.close()
elif mode == 'probe':
    results = []
    for value in [dec(x) for x in json.loads(sys.stdin.readline())]:
        sl = ShareableList([value])
        try:
            results.append({'format': sl.format, 'read': enc(sl[0])})
        except Exception as e:  # noqa: BLE001 - the class is the answer
            results.append({'format': sl.format, 'error': type(e).__name__})
        sl.shm.close()
        sl.shm.unlink()
    print(json.dumps(results), flush=True)
else:
    raise SystemExit('unknown mode ' + mode)
