# CPython's _TestContainers.test_dict_proxy_nested and test_list_proxy_in_list (Lib/test/_test_multiprocessing.py),
# as a SyncManager client of a server at ('127.0.0.1', PORT): proxies stored in managed containers.
# Usage: sync_nested.py PORT AUTHKEY [shutdown]  (prints "ok" when every assertion holds; shutdown: then stops the server)
import multiprocessing
import sys
from multiprocessing.managers import ListProxy, SyncManager, dispatch

authkey = sys.argv[2].encode()
# A proxy rebuilt from a reply connects with the process's authkey, as in any Python process that is not the
# manager's parent.
multiprocessing.current_process().authkey = authkey
m = SyncManager(address=('127.0.0.1', int(sys.argv[1])), authkey=authkey)
m.connect()


def test_dict_proxy_nested():
    pets = m.dict(ferrets=2, hamsters=4)
    supplies = m.dict(water=10, feed=3)
    d = m.dict(pets=pets, supplies=supplies)

    assert supplies['water'] == 10
    assert d['supplies']['water'] == 10

    d['supplies']['blankets'] = 5
    assert supplies['blankets'] == 5
    assert d['supplies']['blankets'] == 5

    d['supplies']['water'] = 7
    assert supplies['water'] == 7
    assert d['supplies']['water'] == 7

    del pets
    del supplies
    assert d['pets']['ferrets'] == 2
    d['supplies']['blankets'] = 11
    assert d['supplies']['blankets'] == 11

    pets = d['pets']
    supplies = d['supplies']
    supplies['water'] = 7
    assert supplies['water'] == 7
    assert d['supplies']['water'] == 7

    d.clear()
    assert len(d) == 0
    assert supplies['water'] == 7
    assert pets['hamsters'] == 4

    l = m.list([pets, supplies])
    l[0]['marmots'] = 1
    assert pets['marmots'] == 1
    assert l[0]['marmots'] == 1

    del pets
    del supplies
    assert l[0]['marmots'] == 1

    outer = m.list([[88, 99], l])
    assert isinstance(outer[0], list)  # Not a ListProxy
    assert outer[-1][-1]['feed'] == 3


def test_list_proxy_in_list():
    a = m.list([m.list(range(3)) for _i in range(3)])
    assert [inner[:] for inner in a] == [[0, 1, 2]] * 3

    a[0][-1] = 55
    assert a[0][:] == [0, 1, 55]
    for i in range(1, 3):
        assert a[i][:] == [0, 1, 2]

    assert a[1].pop() == 2
    assert len(a[1]) == 2
    for i in range(0, 3, 2):
        assert len(a[i]) == 3

    assert isinstance(a[0], ListProxy)
    del a

    b = m.list()
    b.append(b)
    del b


test_dict_proxy_nested()
test_list_proxy_in_list()
print('ok', flush=True)
if sys.argv[3:] == ['shutdown']:
    conn = m._Client(m._address, authkey=m._authkey)
    dispatch(conn, None, 'shutdown')
    conn.close()
