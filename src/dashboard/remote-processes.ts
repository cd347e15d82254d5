// The processes linked to a standalone dashboard (`multiproc dashboard`): the last state each one sent,
// checked in shape before it is kept, and a bounded number of them, gone ones included.
import { RingBuffer } from './ring-buffer.js';
import type { ProcessView } from './view.js';

/** Linked processes at once; a link past it is refused its states. */
const maxLinked = 64;
/** Processes whose link ended, still shown (greyed), newest first. */
const keptGone = 8;

/** One line a linked process sends: its state (each pool's `insights()` inside, where it has them). */
export interface LinkLine {
  v: 1;
  process: ProcessView;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The fields the page and the server rely on; the rest of a view is shown as text whatever it holds. */
function isProcessView(value: unknown): value is ProcessView {
  return isObject(value) && typeof value['id'] === 'string' && typeof value['pid'] === 'number' && typeof value['host'] === 'string' &&
    Array.isArray(value['pools']) && value['pools'].every((pool) => isObject(pool) && typeof pool['id'] === 'string' &&
      Array.isArray(pool['workers']) && Array.isArray(pool['maps']) && Array.isArray(pool['timeline']));
}

export interface Link {
  /** Takes one line; false when it is not a state (the link is then dropped). */
  receive(line: string): boolean;
  close(): void;
}

interface Linked {
  view: ProcessView | undefined;
}

export class RemoteProcesses {
  readonly #linked = new Map<number, Linked>();
  readonly #gone = new RingBuffer<ProcessView>(keptGone);
  readonly #changed: () => void;
  #next = 0;

  constructor(changed: () => void) {
    this.#changed = changed;
  }

  open(): Link {
    const number = ++this.#next;
    const entry: Linked = { view: undefined };
    const full = this.#linked.size >= maxLinked;
    if (!full) this.#linked.set(number, entry);
    let open = !full;
    return {
      receive: (line) => {
        if (!open) return false;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          return false;
        }
        if (!isObject(parsed) || parsed['v'] !== 1 || !isProcessView(parsed['process'])) return false;
        const view = parsed['process'];
        // Two links from one process (two dashboards linked) stay apart.
        entry.view = { ...view, id: `${view.id}#${number}`, connected: true };
        this.#changed();
        return true;
      },
      close: () => {
        if (!open) return;
        open = false;
        this.#linked.delete(number);
        if (entry.view !== undefined) this.#gone.push({ ...entry.view, connected: false });
        this.#changed();
      },
    };
  }

  /** Linked processes in the order they linked, then the gone ones, newest first. */
  list(): ProcessView[] {
    const live = [...this.#linked.values()].flatMap((entry) => (entry.view === undefined ? [] : [entry.view]));
    return [...live, ...this.#gone.toArray().reverse()];
  }

  /** The last `insights()` a linked process sent for a pool. */
  insights(poolId: string): unknown {
    for (const view of this.list()) for (const pool of view.pools) if (pool.id === poolId && pool.insights !== undefined) return pool.insights;
    return undefined;
  }

  close(): void {
    this.#linked.clear();
  }
}

