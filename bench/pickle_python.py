"""Times CPython's C pickler (pickle.dumps / pickle.loads at protocol 4) on the payloads of bench/pickle.bench.ts.

python3 pickle_python.py SIZE BUDGET_MS prints one JSON object: {payload: {"dumps_ns", "loads_ns", "bytes", "hex"}};
"hex" is given for the manager message only, so the TypeScript side can compare bytes.

python3 pickle_python.py serve times the manager message on demand, for measurements paired with the TypeScript
side's: each line "dumps BUDGET_MS" or "loads BUDGET_MS" on stdin is answered with one line, the ns per call.
"""
import json
import multiprocessing.managers
import pickle
import sys
import timeit


def payloads(size):
    token = multiprocessing.managers.Token('Queue', ('127.0.0.1', 5000), '7f698f009c90')
    message = (
        '7f698f009c90',
        'put',
        ({'id': 17, 'tags': ['alpha', 'beta'], 'values': [i * 1.5 if i % 2 else i for i in range(20)], 'ratio': 0.25}, token),
        {'block': True, 'timeout': None},
    )
    return {
        'manager message': message,
        'ints': [(i * 7919) % 100003 - 50000 for i in range(size)],
        'floats': [i / 7 + 0.5 for i in range(size)],
        'short strings': ['k%d' % i for i in range(size)],
    }


def per_call_ns(fn, budget_ms):
    """The fastest of five batches, each of about budget_ms / 5, per call."""
    timer = timeit.Timer(fn)
    number, took = timer.autorange()
    number = max(1, int(number * (budget_ms / 5000) / max(took, 1e-9)))
    return min(timer.repeat(repeat=5, number=number)) / number * 1e9


def serve():
    value = payloads(1)['manager message']
    data = pickle.dumps(value, 4)
    calls = {'dumps': lambda: pickle.dumps(value, 4), 'loads': lambda: pickle.loads(data)}
    for line in sys.stdin:
        op, budget = line.split()
        print(per_call_ns(calls[op], float(budget)), flush=True)


def main():
    if sys.argv[1] == 'serve':
        serve()
        return
    size, budget = int(sys.argv[1]), float(sys.argv[2])
    out = {}
    for name, value in payloads(size).items():
        data = pickle.dumps(value, 4)
        out[name] = {
            'dumps_ns': per_call_ns(lambda: pickle.dumps(value, 4), budget),
            'loads_ns': per_call_ns(lambda: pickle.loads(data), budget),
            'bytes': len(data),
        }
        if name == 'manager message':
            out[name]['hex'] = data.hex()
    print(json.dumps(out))


main()
