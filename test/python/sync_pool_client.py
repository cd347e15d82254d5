# A Python SyncManager client using the Pool a TypeScript server serves, its tasks named 'module-url#export'.
# Usage: sync_pool_client.py PORT AUTHKEY TASKS_URL  (prints one JSON object)
import json
import sys
from multiprocessing.managers import SyncManager

m = SyncManager(address=('127.0.0.1', int(sys.argv[1])), authkey=sys.argv[2].encode())
m.connect()
url = sys.argv[3]
out = {}
with m.Pool(2) as pool:
    out['apply'] = pool.apply(url + '#add', (2, 3))
    out['map'] = pool.map(url + '#square', range(10))
    out['starmap'] = pool.starmap(url + '#add', [(1, 2), (3, 4)])
    result = pool.apply_async(url + '#square', (7,))
    out['async'] = [result.get(timeout=30), result.ready(), result.successful()]
    out['imap'] = list(pool.imap(url + '#square', [1, 2, 3]))
    try:
        pool.apply(url + '#fail', ('no good',))
    except Exception as e:
        out['error'] = [type(e).__name__, str(e)]
    try:
        pool.apply(len, ([1],))
    except Exception as e:
        out['function'] = type(e).__name__
print(json.dumps(out))
