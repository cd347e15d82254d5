// The pickler's memo: what was written at which memo index, found again by identity (objects) or value (str).

/** Objects memoized up to this count are found by a linear scan; past it a Map takes them all. */
const linearMax = 24;

/**
 * Objects by identity. A manager-sized message memoizes a dozen objects: a scan of a short array beats a
 * Map there (no hashing, no table to grow and no table to drop per dump); a large dump moves to a Map.
 */
export class ObjectMemo {
  readonly #keys: unknown[] = [];
  readonly #indexes: number[] = [];
  #count = 0;
  #map: Map<unknown, number> | undefined;

  get(key: unknown): number | undefined {
    const map = this.#map;
    if (map !== undefined) return map.get(key);
    const keys = this.#keys;
    for (let i = 0; i < this.#count; i++) if (keys[i] === key) return this.#indexes[i];
    return undefined;
  }

  set(key: unknown, index: number): void {
    if (this.#map !== undefined) {
      this.#map.set(key, index);
      return;
    }
    const n = this.#count;
    if (n < linearMax) {
      this.#keys[n] = key;
      this.#indexes[n] = index;
      this.#count = n + 1;
      return;
    }
    const map = new Map<unknown, number>();
    for (let i = 0; i < n; i++) map.set(this.#keys[i], this.#indexes[i]!);
    map.set(key, index);
    this.#map = map;
  }

  /** Forgets every entry, and lets go of the objects (the memo must not keep a caller's values alive). */
  clear(): void {
    this.#keys.fill(undefined, 0, this.#count);
    this.#count = 0;
    this.#map = undefined;
  }
}

/** A table grown past this many slots is dropped after its dump rather than kept. */
const keptSlots = 1 << 18;
/**
 * A lookup that walks this many slots (a natural one walks up to some 40 at half load) moves the dump's strings
 * to a Map: strings made to collide in this unseeded hash then cost what they cost in V8's.
 */
const probeMax = 128;

/** @internal FNV-1a over the UTF-16 units, then MurmurHash3's finalizer, so that the low bits the table indexes by are mixed. */
export function hashOf(text: string): number {
  let h = 0x811c9dc5 ^ text.length;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Short strings by value in an open-addressed table kept from one dump to the next, for the dumps with more of
 * them than StringMemo keeps: no Map to grow per dump (a 100,000-string dump spent two thirds of its time growing
 * one), and no string held past its dump (each dump empties the slots it filled). A lookup remembers where it
 * stopped, so the insertion that follows a miss does not probe again.
 */
class StringTable {
  #keys: (string | undefined)[] = new Array<string | undefined>(64).fill(undefined);
  #indexes = new Int32Array(64);
  #mask = 63;
  /** The slots filled in this dump, in order, to empty at its end. */
  #used = new Int32Array(32);
  #count = 0;
  /** Where the last miss of `#missed` stopped: the empty slot it would take. */
  #missed: string | undefined;
  #missAt = 0;
  /** The dump's strings once they spilled out of the table. */
  #spilled: Map<string, number> | undefined;

  get(text: string): number | undefined {
    if (this.#count === 0) return undefined;
    if (this.#count < 0) return this.#spilled!.get(text);
    const keys = this.#keys;
    const mask = this.#mask;
    let at = hashOf(text) & mask;
    for (let walked = 0; ; walked++) {
      const key = keys[at];
      if (key === undefined) break;
      if (key === text) return this.#indexes[at];
      if (walked === probeMax) return this.#spill().get(text);
      at = (at + 1) & mask;
    }
    this.#missed = text;
    this.#missAt = at;
    return undefined;
  }

  set(text: string, index: number): void {
    if (this.#count < 0) {
      this.#spilled!.set(text, index);
      return;
    }
    if (2 * (this.#count + 1) > this.#mask) this.#grow();
    let at: number;
    if (this.#missed === text && this.#keys[this.#missAt] === undefined) {
      at = this.#missAt;
    } else {
      const keys = this.#keys;
      const mask = this.#mask;
      at = hashOf(text) & mask;
      for (let walked = 0; keys[at] !== undefined; walked++) {
        if (keys[at] === text) {
          this.#indexes[at] = index;
          return;
        }
        if (walked === probeMax) {
          this.#spill().set(text, index);
          return;
        }
        at = (at + 1) & mask;
      }
    }
    this.#missed = undefined;
    this.#keys[at] = text;
    this.#indexes[at] = index;
    if (this.#count === this.#used.length) {
      const used = new Int32Array(this.#used.length * 2);
      used.set(this.#used);
      this.#used = used;
    }
    this.#used[this.#count++] = at;
  }

  /** Twice the slots, every string placed again (the slots it used, in order, stay the record of what to empty). */
  #grow(): void {
    const keys = this.#keys;
    const indexes = this.#indexes;
    const size = 2 * (this.#mask + 1);
    const mask = size - 1;
    const grownKeys = new Array<string | undefined>(size).fill(undefined);
    const grownIndexes = new Int32Array(size);
    const used = this.#used;
    for (let i = 0; i < this.#count; i++) {
      const text = keys[used[i]!]!;
      let at = hashOf(text) & mask;
      while (grownKeys[at] !== undefined) at = (at + 1) & mask;
      grownKeys[at] = text;
      grownIndexes[at] = indexes[used[i]!]!;
      used[i] = at;
    }
    this.#keys = grownKeys;
    this.#indexes = grownIndexes;
    this.#mask = mask;
    this.#missed = undefined;
  }

  /** Strings whose hashes pile up: the rest of this dump keeps them all in a Map. */
  #spill(): Map<string, number> {
    const map = (this.#spilled = new Map<string, number>());
    const used = this.#used;
    for (let i = 0; i < this.#count; i++) {
      const at = used[i]!;
      map.set(this.#keys[at]!, this.#indexes[at]!);
      this.#keys[at] = undefined;
    }
    // A negative count marks the spill until the dump ends.
    this.#count = -1;
    this.#missed = undefined;
    return map;
  }

  /** Ends the dump: every slot it filled is emptied, so no string outlives it; a table grown large is dropped. */
  clear(): void {
    this.#spilled = undefined;
    this.#missed = undefined;
    if (this.#mask + 1 > keptSlots) {
      this.#keys = new Array<string | undefined>(64).fill(undefined);
      this.#indexes = new Int32Array(64);
      this.#mask = 63;
      this.#used = new Int32Array(32);
    } else {
      const keys = this.#keys;
      const filled = this.#used;
      for (let i = 0; i < this.#count; i++) keys[filled[i]!] = undefined;
    }
    this.#count = 0;
  }
}

/** Strings kept from one dump to the next at most this long and this many (they are held, so they are bounded). */
const keptLength = 64;
const keptCount = 4096;

/**
 * Strings by value. Short ones keep their slot in a Map across dumps, each slot stamped with the dump it was
 * last memoized in: the names and keys that every manager message repeats cost one lookup and no insertion.
 * A dump with more short strings than the 4096 kept moves them all to a table of its own (StringTable) and lets
 * the kept ones go; longer strings go to a Map made for the dump that needs it.
 */
export class StringMemo {
  readonly #slots = new Map<string, number>();
  #stamps = new Int32Array(64);
  #indexes = new Int32Array(64);
  #dump = 1;
  /** This dump's short strings, once there are more of them than are kept (from then on they all go here). */
  readonly #more = new StringTable();
  #overflowed = false;
  #long: Map<string, number> | undefined;

  get(text: string): number | undefined {
    if (text.length > keptLength) return this.#long?.get(text);
    if (this.#overflowed) return this.#more.get(text);
    const slot = this.#slots.get(text);
    return slot !== undefined && this.#stamps[slot] === this.#dump ? this.#indexes[slot] : undefined;
  }

  set(text: string, index: number): void {
    if (text.length > keptLength) {
      (this.#long ??= new Map()).set(text, index);
      return;
    }
    if (this.#overflowed) {
      this.#more.set(text, index);
      return;
    }
    let slot = this.#slots.get(text);
    if (slot === undefined) {
      if (this.#slots.size === keptCount) {
        this.#overflow();
        this.#more.set(text, index);
        return;
      }
      slot = this.#slots.size;
      if (slot === this.#stamps.length) this.#grow();
      this.#slots.set(text, slot);
    }
    this.#stamps[slot] = this.#dump;
    this.#indexes[slot] = index;
  }

  #grow(): void {
    const stamps = new Int32Array(this.#stamps.length * 2);
    stamps.set(this.#stamps);
    this.#stamps = stamps;
    const indexes = new Int32Array(this.#indexes.length * 2);
    indexes.set(this.#indexes);
    this.#indexes = indexes;
  }

  /** More short strings than are kept: this dump's go to the table, the ones memoized so far first. */
  #overflow(): void {
    for (const [text, slot] of this.#slots) if (this.#stamps[slot] === this.#dump) this.#more.set(text, this.#indexes[slot]!);
    this.#overflowed = true;
  }

  /**
   * Starts the next dump: every entry is stale at once. After a dump with more short strings than are kept (so
   * not the few that every message repeats), or before the stamp wraps, the kept ones are dropped.
   */
  clear(): void {
    this.#long = undefined;
    this.#more.clear();
    if (this.#overflowed || this.#dump === 0x7fffffff) {
      this.#overflowed = false;
      this.#slots.clear();
      this.#stamps = new Int32Array(64);
      this.#indexes = new Int32Array(64);
      this.#dump = 1;
      return;
    }
    this.#dump++;
  }
}
