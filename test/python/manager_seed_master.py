# The seed's master: puts COUNT numbers and one None per client on the task queue, drains the results until every
# client has said it finished (a None each), prints them as JSON, then stops the server the way
# BaseManager.shutdown() does (a 'shutdown' request).
# Usage: manager_seed_master.py PORT COUNT CLIENTS
import json
import sys
from multiprocessing.connection import Client
from multiprocessing.managers import BaseManager, dispatch


class QueueManager(BaseManager):
    pass


QueueManager.register('get_task_queue')
QueueManager.register('get_result_queue')

if __name__ == '__main__':
    port, count, clients = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    manager = QueueManager(address=('127.0.0.1', port), authkey=b'z')
    manager.connect()
    tasks = manager.get_task_queue()
    results = manager.get_result_queue()
    for n in range(count):
        tasks.put(n)
    for _ in range(clients):
        tasks.put(None)
    got = []
    finished = 0
    while finished < clients:
        result = results.get(timeout=30)
        if result is None:
            finished += 1
        else:
            got.append(result)
    print(json.dumps(sorted([list(pair) for pair in got])), flush=True)
    conn = Client(('127.0.0.1', port), authkey=b'z')
    try:
        dispatch(conn, None, 'shutdown')
    finally:
        conn.close()
