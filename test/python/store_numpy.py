# Reads a typed array an ObjectStore put, in place, through numpy: prints its sum, then writes one element.
# argv: segment name, offset, dtype, length, index to write, value to write.
import sys
from multiprocessing import resource_tracker, shared_memory

import numpy

name, offset, dtype, length, index, value = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
shm = shared_memory.SharedMemory(name=name, create=False)
# Python 3.11 registers even an attached segment with its tracker, which would unlink it when this exits.
resource_tracker.unregister(shm._name, "shared_memory")
array = numpy.ndarray((length,), dtype=numpy.dtype(dtype), buffer=shm.buf, offset=offset)
print(repr(float(array.sum())))
array[index] = value
del array
shm.close()
