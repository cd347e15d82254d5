// Progress of map-like calls: the numbers for `onProgress`, and a bar on stderr (plain lines off a terminal).
import type { Progress } from '../pool/options.js';

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
}

export class ProgressTracker {
  readonly #total: number | undefined;
  readonly #options: ProgressOptions;
  readonly #stream: NodeJS.WriteStream;
  readonly #started = performance.now();
  #done = 0;
  #lastDraw = -Infinity;

  constructor(total: number | undefined, options: ProgressOptions) {
    this.#total = total;
    this.#options = options;
    this.#stream = options.stream ?? process.stderr;
  }

  snapshot(): Progress {
    const elapsedMs = performance.now() - this.#started;
    const rate = elapsedMs > 0 ? (1000 * this.#done) / elapsedMs : 0;
    const total = this.#total;
    const etaMs = total === undefined || rate === 0 ? undefined : (1000 * (total - this.#done)) / rate;
    return { done: this.#done, total, elapsedMs, rate, etaMs };
  }

  add(items: number): void {
    this.#done += items;
    this.#options.onProgress?.(this.snapshot());
    if (this.#options.bar) this.#draw(false);
  }

  finish(): void {
    if (this.#options.bar) this.#draw(true);
  }

  #draw(final: boolean): void {
    const now = performance.now();
    const tty = this.#stream.isTTY === true;
    if (!final && now - this.#lastDraw < (tty ? ttyEveryMs : lineEveryMs)) return;
    this.#lastDraw = now;
    const line = formatProgress(this.#options.label, this.snapshot());
    // On a terminal the bar redraws in place; elsewhere (CI logs, files) each update is a plain line.
    this.#stream.write(tty ? `\r${line}\x1b[K${final ? '\n' : ''}` : `${line}\n`);
  }
}
