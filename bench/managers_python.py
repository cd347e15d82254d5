"""Python's side of bench/managers.bench.ts: the seed's manager roles in multiprocessing.managers, on loopback.

    managers_python.py server              a BaseManager server: get_task_queue, get_result_queue, get_rt_queue
                                           (queue.Queue each); prints {"port": N}; serves until shutdown
    managers_python.py roundtrip PORT N W  N timed put + get pairs on get_rt_queue after W untimed;
                                           prints {"perSec": ..., "medianUs": ..., "cpuUs": ...}
    managers_python.py worker PORT         the seed's client: takes n from the task queue until None, puts
                                           (n, n * n) on the result queue; prints "ready" once connected
    managers_python.py master PORT M W U   puts U numbers and takes their results untimed, then M timed, then
                                           W Nones on the task queue; prints {"perSec": M / seconds}
"""
import json
import queue
import statistics
import sys
import time
from multiprocessing.managers import BaseManager

KEY = b"bench key"


class QueueManager(BaseManager):
    pass


def serve():
    tasks, results, rt = queue.Queue(), queue.Queue(), queue.Queue()
    QueueManager.register("get_task_queue", callable=lambda: tasks)
    QueueManager.register("get_result_queue", callable=lambda: results)
    QueueManager.register("get_rt_queue", callable=lambda: rt)
    server = QueueManager(address=("127.0.0.1", 0), authkey=KEY).get_server()
    print(json.dumps({"port": server.address[1]}), flush=True)
    server.serve_forever()


def connect(port):
    for name in ("get_task_queue", "get_result_queue", "get_rt_queue"):
        QueueManager.register(name)
    manager = QueueManager(address=("127.0.0.1", port), authkey=KEY)
    manager.connect()
    return manager


def roundtrip(port, n, warm):
    q = connect(port).get_rt_queue()
    for i in range(warm):
        q.put(i)
        q.get()
    times = []
    cpu = time.process_time()
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        q.put(i)
        q.get()
        times.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    cpu_us = (time.process_time() - cpu) * 1e6 / n
    print(json.dumps({"perSec": n / elapsed, "medianUs": statistics.median(times) * 1e6, "cpuUs": cpu_us}), flush=True)


def worker(port):
    manager = connect(port)
    tasks, results = manager.get_task_queue(), manager.get_result_queue()
    # One call each, so the method channels are open before the clock starts.
    tasks.qsize()
    results.qsize()
    print("ready", flush=True)
    while True:
        n = tasks.get()
        if n is None:
            break
        results.put((n, n * n))


def batch(tasks, results, first, count):
    for n in range(first, first + count):
        tasks.put(n)
    wrong = 0
    for _ in range(count):
        n, square = results.get()
        wrong += square != n * n
    return wrong


def master(port, m, workers, warm):
    manager = connect(port)
    tasks, results = manager.get_task_queue(), manager.get_result_queue()
    tasks.qsize()
    results.qsize()
    wrong = batch(tasks, results, 0, warm)
    start = time.perf_counter()
    wrong += batch(tasks, results, warm, m)
    for _ in range(workers):
        tasks.put(None)
    elapsed = time.perf_counter() - start
    assert wrong == 0
    print(json.dumps({"perSec": m / elapsed}), flush=True)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "server":
        serve()
    elif mode == "roundtrip":
        roundtrip(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "worker":
        worker(int(sys.argv[2]))
    else:
        master(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
