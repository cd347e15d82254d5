# The table job in Python, the reference for bench/store-table.bench.ts: a table of ROWS rows (a date, a
# float64 with NaN, a string) as a numpy record array, copied once into a SharedMemory segment; a
# multiprocessing.Pool of WORKERS processes each computes numpy.nansum over the `val` column of the same
# segment. Prints one JSON line with the figures the TypeScript job prints: wall time (the copy into shared
# memory and the workers' sums) and the PSS of the whole process tree (the parent and every worker,
# /proc/PID/smaps_rollup) with the pool warm, before the job, and with every worker holding the table.
# argv: ROWS WORKERS
import json
import os
import sys
import time
from multiprocessing import Barrier, Pool, resource_tracker, shared_memory

import numpy

LABELS = numpy.array([b"alpha", b"beta", b"gamma", b"delta", b"epsilon", b"zeta", b"eta", b"theta", b"iota", b"kappa", b"lambda", b"mu"], dtype="S7")

barrier = None
held = None


def init(shared_barrier):
    global barrier
    barrier = shared_barrier


def meet(_):
    barrier.wait(120)
    return os.getpid()


def nansum(name, shape, descr):
    global held
    shm = shared_memory.SharedMemory(name=name, create=False)
    # Python 3.11 registers even an attached segment with its tracker, which would unlink it when this exits.
    resource_tracker.unregister(shm._name, "shared_memory")
    table = numpy.ndarray(shape, dtype=numpy.dtype([tuple(field) for field in descr]), buffer=shm.buf)
    total = float(numpy.nansum(table["val"]))
    held = (shm, table)
    barrier.wait(120)
    return total, os.getpid()


def drop(_):
    global held
    if held is not None:
        shm, table = held
        held = None
        del table
        shm.close()
    barrier.wait(120)
    return os.getpid()


def pss_kb(pid):
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    raise RuntimeError(f"no Pss line for {pid}")


def make_table(rows):
    i = numpy.arange(rows, dtype=numpy.int64)
    date = numpy.datetime64("2020-01-01", "D") + (i % 3650)
    val = ((i * 7919) % 10007) / 100.0
    val[i % 10 == 7] = numpy.nan
    return numpy.rec.fromarrays([date, val, LABELS[i % len(LABELS)]], names="date,val,label")


def main():
    rows, workers = int(sys.argv[1]), int(sys.argv[2])
    table = make_table(rows)
    expected = float(numpy.nansum(table["val"]))
    shared_barrier = Barrier(workers)
    with Pool(workers, initializer=init, initargs=(shared_barrier,)) as pool:
        pids = set(pool.map(meet, range(workers), chunksize=1))
        tree = [os.getpid(), *pids]
        before = sum(pss_kb(pid) for pid in tree)
        started = time.perf_counter()
        shm = shared_memory.SharedMemory(create=True, size=table.nbytes)
        copy = numpy.ndarray(table.shape, dtype=table.dtype, buffer=shm.buf)
        copy[:] = table
        results = pool.starmap(nansum, [(shm.name, table.shape, table.dtype.descr)] * workers, chunksize=1)
        ms = (time.perf_counter() - started) * 1000
        after = sum(pss_kb(pid) for pid in tree)
        pool.map(drop, range(workers), chunksize=1)
    del copy
    shm.close()
    shm.unlink()
    print(json.dumps({
        "ms": ms, "beforeKb": before, "afterKb": after, "tableBytes": table.nbytes, "rows": rows, "workers": workers,
        "sums": [total for total, _ in results], "expected": expected, "distinctWorkers": len({pid for _, pid in results}),
    }))


if __name__ == "__main__":
    main()
