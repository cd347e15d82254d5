// Items too large for a ring travel in a segment of their own (a "spill"), so that a whole item is always
// published, and taken, by one store of the ring's tail or head, however large it is.
import { SharedMemory } from '../shm/shared-memory.js';
import { SharedMemoryError } from '../shm/errors.js';
import { removeSegment } from '../shm/segments.js';

/** Where a ring's spills live: names are `prefix` plus the item's sequence number, in the ring's folder. */
export interface SpillPlace {
  prefix: string;
  dir: string;
}

function nameOf(place: SpillPlace, seq: number): string {
  return `${place.prefix}${seq >>> 0}`;
}

/**
 * Writes the concatenation of `parts` into a new spill. Not tracked: the item outlives its writer, and
 * the ring's recovery, not the resource tracker, removes a spill its writer left unpublished.
 */
export function writeSpill(place: SpillPlace, seq: number, parts: readonly Uint8Array[], length: number): void {
  const name = nameOf(place, seq);
  let shm: SharedMemory;
  try {
    shm = SharedMemory.create(Math.max(1, length), { name, dir: place.dir, track: false });
  } catch (error) {
    if (!(error instanceof SharedMemoryError) || error.code !== 'ERR_MP_SHM_EXISTS') throw error;
    // Left by a writer that died before its recovery ran: nothing points at it.
    removeSpill(place, seq);
    shm = SharedMemory.create(Math.max(1, length), { name, dir: place.dir, track: false });
  }
  try {
    const into = new Uint8Array(shm.buf);
    let at = 0;
    for (const part of parts) {
      into.set(part, at);
      at += part.length;
    }
  } catch (error) {
    shm.close();
    removeSpill(place, seq);
    throw error;
  }
  shm.close();
}

/** Copies a spill out; undefined when it no longer exists. */
export function readSpill(place: SpillPlace, seq: number, length: number): Uint8Array | undefined {
  let shm: SharedMemory;
  try {
    shm = SharedMemory.attach(nameOf(place, seq), { dir: place.dir });
  } catch (error) {
    if (error instanceof SharedMemoryError && error.code === 'ERR_MP_SHM_NOT_FOUND') return undefined;
    throw error;
  }
  try {
    return new Uint8Array(shm.buf, 0, length).slice();
  } finally {
    shm.close();
  }
}

/** Removes a spill; one already gone is fine. */
export function removeSpill(place: SpillPlace, seq: number): void {
  try {
    removeSegment(nameOf(place, seq), { dir: place.dir });
  } catch {
    // already removed
  }
}
