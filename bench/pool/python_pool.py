"""Python multiprocessing.Pool on the pool benchmarks (B1-B7); one measurement per run, JSON on stdout."""
import json
import resource
import sys
import time
from multiprocessing import Pool

import numpy as np


def inc(x):
    return x + 1


def total(values):
    return float(values.sum())


def work(n):
    x = 0
    for i in range(n):
        x = (x * 1664525 + 1013904223 + i) % 4294967296
    return x


def spin(ms):
    """Busy-spins for ms of wall time and returns it (B6, B7), as spin in bench/pool/workers/tasks.ts."""
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        pass
    return ms


def cpu_seconds():
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def child_cpu(pool):
    ticks = 0
    for proc in pool._pool:
        try:
            with open(f"/proc/{proc.pid}/stat") as f:
                fields = f.read().split(") ")[1].split()
                ticks += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return ticks / 100


def main():
    benchmark, size = sys.argv[1], int(sys.argv[2])
    if benchmark == "startup":
        with Pool(2) as pool:
            assert pool.apply(inc, (1,)) == 2
        return
    with Pool(2) as pool:
        pool.map(inc, range(1000))
        for i in range(200):
            pool.apply(inc, (i,))
        if benchmark == "b1-call":
            started = time.perf_counter()
            results = [pool.apply_async(inc, (i,)) for i in range(size)]
            values = [r.get() for r in results]
            assert values[-1] == size
            out = {"rate": size / (time.perf_counter() - started)}
        elif benchmark == "b1-map":
            pool.map(inc, range(size))
            started = time.perf_counter()
            values = pool.map(inc, range(size))
            assert values[-1] == size
            out = {"rate": size / (time.perf_counter() - started)}
        elif benchmark == "b2":
            latencies = []
            cpu_before = cpu_seconds() + child_cpu(pool)
            started = time.perf_counter()
            for i in range(size):
                t = time.perf_counter()
                pool.apply(inc, (i,))
                latencies.append(time.perf_counter() - t)
            wall = time.perf_counter() - started
            cpu = cpu_seconds() + child_cpu(pool) - cpu_before
            latencies.sort()
            out = {"median": latencies[size // 2] * 1e6, "p99": latencies[int(size * 0.99)] * 1e6,
                   "cpuPerCall": cpu / size * 1e6, "cpuShare": cpu / wall}
        elif benchmark == "b3-copy":
            # Two rounds, as bench/pool/contender.ts: the first in the process, then the warm one.
            def b3_round():
                arrays = [np.full(4 * 2**20 // 8, float(i)) for i in range(size)]
                started = time.perf_counter()
                sums = [r.get() for r in [pool.apply_async(total, (a,)) for a in arrays]]
                assert sums[1] == 4 * 2**20 // 8
                return size * 4 * 2**20 / (time.perf_counter() - started) / 1e9
            first = b3_round()
            out = {"first": first, "rate": b3_round()}
        elif benchmark == "b5":
            n = int(sys.argv[3])
            sample = max(1, size // 10)
            solo = time.perf_counter()
            for _ in range(sample):
                work(n)
            ideal = (time.perf_counter() - solo) * (size / sample) / 2
            started = time.perf_counter()
            pool.map(work, [n] * size, chunksize=1)
            out = {"ratio": (time.perf_counter() - started) / ideal, "taskMs": 2 * ideal / size * 1000}
        elif benchmark in ("b6", "b7"):
            # One apply_async per task, in the list's order (bench/pool/durations.ts wrote the list).
            with open(sys.argv[3]) as f:
                durations = json.load(f)
            started = time.perf_counter()
            results = [pool.apply_async(spin, (ms,)) for ms in durations]
            assert [r.get() for r in results] == durations
            wall_ms = (time.perf_counter() - started) * 1000
            out = {"ratio": wall_ms / max(sum(durations) / 2, max(durations))}
        else:
            raise SystemExit(f"unknown benchmark {benchmark}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
