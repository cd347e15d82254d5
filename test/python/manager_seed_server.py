# The seed's server, as a Python user writes it: two queues on a manager at ('127.0.0.1', port), authkey b'z'.
# Usage: manager_seed_server.py [port]  (0 picks one; the address is printed as "listening HOST PORT").
import queue
import sys
from multiprocessing.managers import BaseManager

task_queue = queue.Queue()
result_queue = queue.Queue()


class QueueManager(BaseManager):
    pass


QueueManager.register('get_task_queue', callable=lambda: task_queue)
QueueManager.register('get_result_queue', callable=lambda: result_queue)

if __name__ == '__main__':
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    manager = QueueManager(address=('127.0.0.1', port), authkey=b'z')
    server = manager.get_server()
    print('listening', server.address[0], server.address[1], flush=True)
    server.serve_forever()
