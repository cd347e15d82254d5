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

/** Strings kept from one dump to the next at most this long and this many (they are held, so they are bounded). */
const keptLength = 64;
const keptCount = 4096;

/**
 * Strings by value. Short ones keep their slot in a Map across dumps, each slot stamped with the dump it was
 * last memoized in: the names and keys that every manager message repeats cost one lookup and no insertion.
 * Longer ones go to a Map of their own, made for the dump that needs it.
 */
export class StringMemo {
  readonly #slots = new Map<string, number>();
  #stamps = new Int32Array(64);
  #indexes = new Int32Array(64);
  #dump = 1;
  #long: Map<string, number> | undefined;

  get(text: string): number | undefined {
    if (text.length > keptLength) return this.#long?.get(text);
    const slot = this.#slots.get(text);
    return slot !== undefined && this.#stamps[slot] === this.#dump ? this.#indexes[slot] : undefined;
  }

  set(text: string, index: number): void {
    if (text.length > keptLength) {
      (this.#long ??= new Map()).set(text, index);
      return;
    }
    let slot = this.#slots.get(text);
    if (slot === undefined) {
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

  /** Starts the next dump: every entry is stale at once. Past `keptCount` strings, or before the stamp wraps, all are dropped. */
  clear(): void {
    this.#long = undefined;
    if (this.#slots.size > keptCount || this.#dump === 0x7fffffff) {
      this.#slots.clear();
      this.#stamps = new Int32Array(64);
      this.#indexes = new Int32Array(64);
      this.#dump = 1;
      return;
    }
    this.#dump++;
  }
}
