// The queue of tasks waiting for a worker: swappable behind a small interface.

export interface TaskQueue<T> {
  readonly size: number;
  push(task: T): void;
  /** Puts a task back at the head (work a crashed or retired worker had not started). */
  unshift(task: T): void;
  shift(): T | undefined;
  remove(task: T): boolean;
}

/** First in, first out, with O(1) push and shift (a ring of slots that doubles when full). */
export class FifoQueue<T> implements TaskQueue<T> {
  #slots: (T | undefined)[] = new Array<T | undefined>(16);
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(task: T): void {
    this.#grow();
    this.#slots[(this.#head + this.#size) & (this.#slots.length - 1)] = task;
    this.#size++;
  }

  unshift(task: T): void {
    this.#grow();
    this.#head = (this.#head - 1) & (this.#slots.length - 1);
    this.#slots[this.#head] = task;
    this.#size++;
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const task = this.#slots[this.#head];
    this.#slots[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#slots.length - 1);
    this.#size--;
    return task;
  }

  remove(task: T): boolean {
    const mask = this.#slots.length - 1;
    for (let i = 0; i < this.#size; i++) {
      if (this.#slots[(this.#head + i) & mask] !== task) continue;
      for (let j = i; j < this.#size - 1; j++) this.#slots[(this.#head + j) & mask] = this.#slots[(this.#head + j + 1) & mask];
      this.#slots[(this.#head + this.#size - 1) & mask] = undefined;
      this.#size--;
      return true;
    }
    return false;
  }

  #grow(): void {
    if (this.#size < this.#slots.length) return;
    const old = this.#slots;
    const slots = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.#size; i++) slots[i] = old[(this.#head + i) & (old.length - 1)];
    this.#slots = slots;
    this.#head = 0;
  }
}
