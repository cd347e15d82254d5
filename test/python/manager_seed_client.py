# The seed's client (a worker): takes numbers from the task queue until it gets None, puts (n, n*n) on the result
# queue, then None there to say it has finished.
# Usage: manager_seed_client.py PORT
import sys
from multiprocessing.managers import BaseManager


class QueueManager(BaseManager):
    pass


QueueManager.register('get_task_queue')
QueueManager.register('get_result_queue')

if __name__ == '__main__':
    manager = QueueManager(address=('127.0.0.1', int(sys.argv[1])), authkey=b'z')
    manager.connect()
    tasks = manager.get_task_queue()
    results = manager.get_result_queue()
    done = 0
    while True:
        n = tasks.get(timeout=30)
        if n is None:
            results.put(None)
            break
        results.put((n, n * n))
        done += 1
    print('client done', done, flush=True)
