// SharedMemory travels by name: the receiver attaches to the same segment, nothing is copied.
import { expected } from '../errors.js';
import { posixShmDir, resolveDir } from '../shm/location.js';
import { SharedMemory } from '../shm/shared-memory.js';
import type { HandleSpec } from './registry.js';

interface SharedMemoryRef {
  name: string;
  dir?: string;
}

export const sharedMemoryHandle: HandleSpec<SharedMemory> = {
  name: 'SharedMemory',
  type: SharedMemory,
  toRef(shm: SharedMemory): SharedMemoryRef {
    return shm.dir === posixShmDir ? { name: shm.name } : { name: shm.name, dir: shm.dir };
  },
  fromRef(ref: unknown): SharedMemory {
    const { name, dir } = (typeof ref === 'object' && ref !== null ? ref : {}) as Partial<SharedMemoryRef>;
    if (typeof name !== 'string') throw new TypeError(expected('ref.name', 'a segment name', name));
    if (dir === undefined) return SharedMemory.attach(name);
    // Data from elsewhere must not make this side map arbitrary files: a folder other than /dev/shm is
    // accepted only when it is this side's own segment folder ($MULTIPROC_SHM_DIR) too.
    if (typeof dir !== 'string' || dir !== resolveDir(undefined)) {
      throw new RangeError(expected('ref.dir', "this process's segment folder ($MULTIPROC_SHM_DIR)", dir));
    }
    return SharedMemory.attach(name, { dir });
  },
};
