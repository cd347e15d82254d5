// Progress of map-like calls: the numbers for `onProgress`, and a bar on stderr (plain lines off a terminal).

/** A snapshot of a map-like call's progress, as `onProgress` receives it. */
export interface Progress {
  done: number;
  /** Undefined for inputs of unknown length. */
  total: number | undefined;
  elapsedMs: number;
  /** Items per second so far. */
  rate: number;
  /** Estimated ms left; undefined when the total is unknown. */
  etaMs: number | undefined;
}

const ttyEveryMs = 100;
const lineEveryMs = 1000;

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}

function rateText(rate: number): string {
  return rate >= 1e4 ? `${(rate / 1e3).toFixed(1)}k/s` : `${rate.toFixed(rate >= 100 ? 0 : 1)}/s`;
}

/** One line of text for a progress snapshot: `label 40% [########............] 400/1000 12.3k/s ETA 3s`. */
export function formatProgress(label: string, progress: Progress, width = 20): string {
  const { done, total } = progress;
  const parts = [label];
  if (total !== undefined && total > 0) {
    const filled = Math.round((width * done) / total);
    parts.push(`${String(Math.floor((100 * done) / total)).padStart(3)}%`, `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`, `${done}/${total}`);
  } else {
    parts.push(`${done} done`);
  }
  parts.push(rateText(progress.rate));
  if (progress.etaMs !== undefined && done < (total ?? 0)) parts.push(`ETA ${duration(progress.etaMs)}`);
  else parts.push(`in ${duration(progress.elapsedMs)}`);
  return parts.join(' ');
}

export interface ProgressOptions {
  label: string;
  bar: boolean;
  onProgress: ((progress: Progress) => void) | undefined;
  /** Where the bar goes. @default process.stderr */
  stream?: NodeJS.WriteStream;
  /** The clock, in milliseconds (tests inject one). @default performance.now */
  now?: () => number;
}

/**
 * Counts a call's finished items. With `bar`, it draws the 0% frame at once, then at most one frame per
 * interval (100 ms on a terminal, 1 s for plain lines): an update that comes sooner is drawn when the
 * interval is up, by an unref'd timer, so the bar never lags behind the count. A count is drawn once;
 * `finish()` ends the bar with the final count, exactly once.
 */
export class ProgressTracker {
  readonly #total: number | undefined;
  readonly #options: ProgressOptions;
  readonly #stream: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #now: () => number;
  readonly #started: number;
  #done = 0;
  /** The count the bar shows, and when it was drawn. */
  #drawnDone = -1;
  #drawnAt = -Infinity;
  /** The trailing-edge redraw of an update that came within the interval. */
  #timer: NodeJS.Timeout | undefined;
  #finished = false;

  constructor(total: number | undefined, options: ProgressOptions) {
    this.#total = total;
    this.#options = options;
    this.#stream = options.stream ?? process.stderr;
    this.#tty = this.#stream.isTTY === true;
    this.#now = options.now ?? (() => performance.now());
    this.#started = this.#now();
    // Before any task can end: a call whose first tasks are slow shows at once that it has started.
    if (options.bar) this.#draw(false);
  }

  snapshot(): Progress {
    const elapsedMs = this.#now() - this.#started;
    const rate = elapsedMs > 0 ? (1000 * this.#done) / elapsedMs : 0;
    const total = this.#total;
    const etaMs = total === undefined || rate === 0 ? undefined : (1000 * (total - this.#done)) / rate;
    return { done: this.#done, total, elapsedMs, rate, etaMs };
  }

  add(items: number): void {
    this.#done += items;
    this.#options.onProgress?.(this.snapshot());
    // A chunk that settles after its call has ended is counted but not drawn: the bar has ended.
    if (this.#options.bar && !this.#finished) this.#update();
  }

  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#options.bar) return;
    if (this.#done !== this.#drawnDone) this.#draw(true);
    else if (this.#tty) this.#stream.write('\n');
  }

  #update(): void {
    if (this.#done === this.#drawnDone || this.#timer !== undefined) return;
    const wait = this.#drawnAt + (this.#tty ? ttyEveryMs : lineEveryMs) - this.#now();
    if (wait <= 0) {
      this.#draw(false);
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#done !== this.#drawnDone) this.#draw(false);
    }, wait);
    this.#timer.unref();
  }

  #draw(final: boolean): void {
    this.#drawnAt = this.#now();
    this.#drawnDone = this.#done;
    const line = formatProgress(this.#options.label, this.snapshot());
    // On a terminal the bar redraws in place; elsewhere (CI logs, files) each update is a plain line.
    this.#stream.write(this.#tty ? `\r${line}\x1b[K${final ? '\n' : ''}` : `${line}\n`);
  }
}
