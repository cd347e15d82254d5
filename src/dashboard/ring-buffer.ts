// Fixed-size memory for a dashboard that may watch a pool for days: the last N of something, and the N largest.

/** The last `capacity` items pushed; older ones are overwritten, so memory never grows past the capacity. */
export class RingBuffer<T> {
  readonly #items: (T | undefined)[];
  #next = 0;
  #size = 0;
  /** Every item ever pushed, also those overwritten. */
  #pushed = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a ring buffer holds at least one item, got ${capacity}`);
    this.#items = new Array<T | undefined>(capacity);
  }

  push(item: T): void {
    this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
    this.#pushed++;
  }

  get size(): number {
    return this.#size;
  }

  get pushed(): number {
    return this.#pushed;
  }

  /** The newest item, if any. */
  last(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[(this.#next - 1 + this.capacity) % this.capacity];
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    const start = (this.#next - this.#size + this.capacity) % this.capacity;
    for (let i = 0; i < this.#size; i++) out.push(this.#items[(start + i) % this.capacity] as T);
    return out;
  }
}

/** The `capacity` items of largest `score` seen; a new item that scores no higher than all of them costs a compare. */
export class TopK<T> {
  readonly #items: { score: number; item: T }[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a top list holds at least one item, got ${capacity}`);
  }

  /** The lowest score kept once full: anything at or below it would not enter. */
  get floor(): number {
    return this.#items.length < this.capacity ? -Infinity : (this.#items[this.#items.length - 1]?.score ?? -Infinity);
  }

  offer(score: number, item: T | (() => T)): void {
    if (!(score > this.floor)) return;
    // Built only once it is known to enter (a task's arguments are described only for the slow ones).
    const entry = { score, item: typeof item === 'function' ? (item as () => T)() : item };
    let at = this.#items.findIndex((kept) => kept.score < score);
    if (at < 0) at = this.#items.length;
    this.#items.splice(at, 0, entry);
    if (this.#items.length > this.capacity) this.#items.pop();
  }

  get size(): number {
    return this.#items.length;
  }

  /** Highest score first. */
  toArray(): T[] {
    return this.#items.map((entry) => entry.item);
  }
}
