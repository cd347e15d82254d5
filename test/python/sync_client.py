# An unmodified Python SyncManager client: every typeid, the values, return values and exceptions it sees, as JSON
# (one object), so the same script against Python's server and against another can be compared.
# Usage: sync_client.py PORT AUTHKEY [shutdown]  (shutdown: then asks the server to stop, as a manager's owner does)
import json
import queue
import sys
import threading
import time
from multiprocessing.managers import SyncManager, dispatch


def err(fn):
    try:
        fn()
    except Exception as e:  # the class and message a Python user sees
        return [type(e).__name__, str(e)]
    return None


out = {}
m = SyncManager(address=('127.0.0.1', int(sys.argv[1])), authkey=sys.argv[2].encode())
m.connect()

d = m.dict(a=1, b=2)
d['c'] = 3
d[(1, 2)] = 'tuple key'
out['dict'] = [sorted(map(str, d.keys())), str(d.get('z', 9)), len(d), 'a' in d, d[(1, 2)], d.pop('b'), d.setdefault('e', 5),
               err(lambda: d['zz']), d.popitem(), sorted(map(str, d.copy().items())), str(d)]
d.update({'u': 1}, v=2)
out['dict_update'] = [d['u'], d['v']]
it = iter(d)
out['dict_iter'] = [next(it), next(it)]
d.clear()
out['dict_iter_changed'] = err(lambda: next(it))

lst = m.list(range(10))
out['list'] = [lst[:], lst[2:5], lst[::-3], lst[-1], len(lst), lst.index(5), lst.count(1), 3 in lst, err(lambda: lst[10]),
               err(lambda: lst.remove(99)), err(lambda: lst.index(99)), lst + [10], lst * 2]
lst[1:3] = ['x']
del lst[-2:]
lst.insert(0, -1)
lst.reverse()
out['list_mutated'] = [lst[:], lst.pop(), lst.pop(0), str(lst)]
lst2 = m.list([3, 1, 2])
lst2.sort(reverse=True)
lst2 += [0]
lst2 *= 2
out['list_sort'] = [lst2[:], err(lambda: m.list([1, 'a']).sort()), list(iter(m.list(['p', 'q'])))]

a = m.Array('i', range(5))
a[0] = 10
out['array'] = [a[0], len(a), list(a[1:3]), err(lambda: a.__setitem__(0, 1.5)), err(lambda: a[9]), str(a)]

n = m.Namespace()
n.name = 'Bob'
n.job = 'Builder'
n._hidden = 'hidden'
got = [n.name, n.job]
del n.job
out['namespace'] = [got, str(n), hasattr(n, 'name'), hasattr(n, 'job'), err(lambda: n.nothing)]

v = m.Value('i', 3)
v.value = 4
f = m.Value('d', 2.5)
out['value'] = [v.value, v.get(), str(v), f.get()]

e = m.Event()
r = [e.is_set(), e.wait(0.0), e.wait(0.05)]
e.set()
r += [e.is_set(), e.wait(), e.wait(0.05)]
e.clear()
threading.Timer(0.1, e.set).start()
r += [e.wait(10)]
out['event'] = r

lk = m.Lock()
out['lock'] = [lk.acquire(), lk.acquire(False), lk.acquire(True, 0.05), lk.release(), err(lk.release), err(lambda: lk.acquire(False, 1))]
rl = m.RLock()
out['rlock'] = [rl.acquire(), rl.acquire(), rl.release(), rl.release(), err(rl.release)]
s = m.Semaphore(2)
out['semaphore'] = [s.acquire(), s.acquire(), s.acquire(timeout=0.05), s.release(), s.release(), s.release(), s.acquire(False)]
bs = m.BoundedSemaphore(1)
out['bounded'] = [bs.acquire(), bs.release(), err(bs.release), err(lambda: m.Semaphore(-1))]

c = m.Condition()
res = [err(lambda: c.wait(0.05)), err(c.notify)]
c.acquire()
res += [c.wait(0.05)]
c.release()
sleeping, woken = m.Semaphore(0), m.Semaphore(0)


def sleeper():
    c.acquire()
    sleeping.release()
    c.wait(10)
    woken.release()
    c.release()


threads = [threading.Thread(target=sleeper) for _ in range(3)]
for t in threads:
    t.start()
for _ in threads:
    sleeping.acquire()
c.acquire()
c.notify(2)
c.release()
woken.acquire()
woken.acquire()
res += [woken.acquire(timeout=0.2)]
c.acquire()
c.notify_all()
c.release()
res += [woken.acquire(timeout=10)]
for t in threads:
    t.join()
out['condition'] = res

b = m.Barrier(3, timeout=10)
indices = []
ts = [threading.Thread(target=lambda: indices.append(b.wait())) for _ in range(2)]
for t in ts:
    t.start()
indices.append(b.wait())
for t in ts:
    t.join()
out['barrier'] = [sorted(indices), b.parties, b.n_waiting, b.broken, err(lambda: b.wait(0.05))[0], b.broken]
b.reset()
out['barrier_reset'] = b.broken

q = m.Queue()
q.put(1)
q.put_nowait([2, 'x'])
bq = m.Queue(1)
bq.put('full')
jq = m.JoinableQueue()
jq.put('job')
jq.get()
jq.task_done()
jq.join()
out['queue'] = [q.get(), q.get(timeout=1), q.qsize(), q.empty(), err(lambda: q.get(timeout=0.05)), err(q.get_nowait),
                err(lambda: bq.put('x', timeout=0.05)), bq.full(), err(jq.task_done)]

out['objects'] = m._number_of_objects()
if sys.argv[3:4] == ['debug']:
    print(m._debug_info(), file=sys.stderr)
del d, it, lst, lst2, a, n, v, f, e, lk, rl, s, bs, c, sleeping, woken, b, q, bq, jq, ts, threads
import gc
gc.collect()
time.sleep(0.3)
out['objects_after'] = m._number_of_objects()
print(json.dumps(out))

if sys.argv[3:] == ['shutdown']:
    conn = m._Client(m._address, authkey=m._authkey)
    dispatch(conn, None, 'shutdown')
    conn.close()
