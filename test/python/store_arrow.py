# Reads the columns of an Arrow table an ObjectStore put, in place, through numpy, from ref.describe():
# prints what it read as JSON, then writes one float into the `val` column.
# argv: the description as JSON, the row to write, the value to write.
import json
import sys
from multiprocessing import resource_tracker, shared_memory

import numpy

described, row, value = json.loads(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
shm = shared_memory.SharedMemory(name=described["segment"], create=False)
# Python 3.11 registers even an attached segment with its tracker, which would unlink it when this exits.
resource_tracker.unregister(shm._name, "shared_memory")
columns = {column["name"]: column for column in described["columns"]}


def array(part):
    return numpy.ndarray(tuple(part["shape"]), dtype=numpy.dtype(part["dtype"]), buffer=shm.buf, offset=part["offset"])


def valid(chunk):
    if "validity" not in chunk:
        return numpy.ones(chunk["length"], dtype=bool)
    part = chunk["validity"]
    bits = numpy.unpackbits(array(part), bitorder="little")
    return bits[part["bitOffset"]:part["bitOffset"] + chunk["length"]].astype(bool)


def string(chunk, i):
    offsets, data = array(chunk["offsets"]), array(chunk["values"])
    return bytes(data[offsets[i]:offsets[i + 1]]).decode("utf-8")


val = columns["val"]
vals = array(val)
mask = valid(val["chunks"][0])
dates = array(columns["date"])
if columns["date"]["chunks"][0]["values"].get("datetime") == "D":
    dates = dates.astype("datetime64[D]")
labels = columns["s"]["chunks"][0]
kinds = columns["k"]["chunks"][0]
indices = array(kinds["values"])
out = {
    "valSum": float(numpy.nansum(vals[mask])),
    "nulls": int((~mask).sum()),
    "nans": int(numpy.isnan(vals[mask]).sum()),
    "date0": str(dates[0]),
    "dateDtype": str(dates.dtype),
    "s2": string(labels, 2),
    "k1": string(kinds["dictionary"][0], int(indices[1])),
    "aligned": all(part["offset"] % 64 == 0 for part in described["arrays"]),
}
print(json.dumps(out))
vals[row] = value
del vals, dates, indices
shm.close()
