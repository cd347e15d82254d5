// The items and shared counters of the queue fault runs, shared by the test's parent and its agents.

/** Words of the shared control array. */
/** `Stop`: set by the parent once the kills are done; producers then finish. */
export const enum Ctrl { NextId, Corrupt, Overflow, Stop }
export const ctrlWords = 4;

export interface FaultItem {
  id: number;
  pad?: string;
  blob?: Uint8Array;
}

function byteAt(id: number, i: number): number {
  return (i * 31 + id) & 255;
}

/** Every `bigEvery`-th id is a `bigBytes` blob (larger than the ring), the rest small objects. */
export function itemFor(id: number, bigEvery: number, bigBytes: number): FaultItem {
  if (bigEvery > 0 && id % bigEvery === bigEvery - 1) {
    const blob = new Uint8Array(bigBytes);
    for (let i = 0; i < bigBytes; i += 4096) blob[i] = byteAt(id, i);
    blob[bigBytes - 1] = byteAt(id, bigBytes - 1);
    return { id, blob };
  }
  return { id, pad: 'x'.repeat(id % 50) };
}

export function isIntact(item: FaultItem, bigEvery: number, bigBytes: number): boolean {
  if (typeof item !== 'object' || item === null || !Number.isInteger(item.id)) return false;
  const expected = itemFor(item.id, 0, 0);
  if (bigEvery > 0 && item.id % bigEvery === bigEvery - 1) {
    const blob = item.blob;
    if (!(blob instanceof Uint8Array) || blob.length !== bigBytes) return false;
    for (let i = 0; i < bigBytes; i += 4096) if (blob[i] !== byteAt(item.id, i)) return false;
    return blob[bigBytes - 1] === byteAt(item.id, bigBytes - 1);
  }
  return item.pad === expected.pad;
}
