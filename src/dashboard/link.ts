// This process's pools shown on a dashboard that runs elsewhere (`multiproc dashboard`, or another process's
// `MULTIPROC_DASHBOARD` port): one long POST whose body is a JSON line per update, coalesced as the page's are.
import type { ClientRequest, IncomingMessage } from 'node:http';
import { DashboardLinkError } from './errors.js';
import type { ProcessCollector } from './process-collector.js';
import type { LinkLine } from './remote-processes.js';
import { moving } from './view.js';

export interface LinkOptions {
  intervalMs: number;
  refreshMs: number;
}

/** The address without its token, for messages. */
export function redact(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** Waits after a lost link before trying again: 0.5 s, doubling, at most 5 s. */
const retryMs = (attempt: number): number => Math.min(5_000, 500 * 2 ** attempt);

export class DashboardLink {
  readonly #url: URL;
  readonly #collector: ProcessCollector;
  readonly #options: LinkOptions;
  readonly #stopWatching: () => void;
  #request: ClientRequest | undefined;
  /** The stream takes lines (its head was answered 200). */
  #open = false;
  #blocked = false;
  #timer: NodeJS.Timeout | undefined;
  #refresh: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #lastSent = -Infinity;
  /** The last line sent on this stream: a line that says nothing new is not sent again. */
  #lastLine = '';
  #moving = true;
  #sent = 0;
  #closed = false;
  #attempt = 0;

  private constructor(url: URL, collector: ProcessCollector, options: LinkOptions) {
    this.#url = url;
    this.#collector = collector;
    this.#options = options;
    this.#stopWatching = collector.onChange(() => this.#markDirty());
  }

  /** Links; rejects with `ERR_MP_DASHBOARD_LINK` when the first attempt finds no dashboard or is refused. */
  static async open(url: URL, collector: ProcessCollector, options: LinkOptions): Promise<DashboardLink> {
    if (url.protocol !== 'http:') throw new DashboardLinkError(redact(url), 'only http: dashboards can be linked to');
    const link = new DashboardLink(url, collector, options);
    try {
      await link.#connect();
    } catch (error) {
      link.#closed = true;
      link.#stopWatching();
      throw error;
    }
    return link;
  }

  /** Where this process's pools are shown (the dashboard's page, token included). */
  get url(): string {
    return new URL('/', this.#url).href + this.#url.search;
  }

  /** States sent so far. */
  get sent(): number {
    return this.#sent;
  }

  get connected(): boolean {
    return this.#open;
  }

  /** Ends the stream: the dashboard shows this process as gone. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#stopWatching();
    clearTimeout(this.#timer);
    clearTimeout(this.#refresh);
    clearTimeout(this.#retry);
    const request = this.#request;
    if (request === undefined || !this.#open) {
      request?.destroy();
      return Promise.resolve();
    }
    if (!this.#blocked) this.#write();
    return new Promise((resolve) => {
      request.once('close', () => resolve());
      request.end();
      // A dashboard that stopped reading must not hold this process's exit.
      setTimeout(() => request.destroy(), 1_000).unref();
    });
  }

  #connect(): Promise<void> {
    const token = this.#url.searchParams.get('token');
    const request = process.getBuiltinModule('node:http').request(new URL('/ingest', this.#url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    });
    this.#request = request;
    return new Promise<void>((resolve, reject) => {
      let answered = false;
      // Before the answer: this attempt failed (the caller says what follows). After it: the link was lost.
      const fail = (why: string, cause?: unknown): void => {
        if (answered) return;
        answered = true;
        reject(new DashboardLinkError(redact(this.#url), why, cause));
      };
      const lost = (): void => {
        if (this.#request !== request || this.#closed) return;
        this.#open = false;
        this.#blocked = false;
        this.#reconnectLater();
      };
      request.on('socket', (socket) => socket.unref());
      request.once('error', (error) => (answered ? lost() : fail('nothing answers there', error)));
      request.once('response', (response: IncomingMessage) => {
        response.resume();
        if (response.statusCode !== 200) {
          request.destroy();
          fail(response.statusCode === 403 ? 'it refused the token' : `it answered ${response.statusCode}`);
          return;
        }
        answered = true;
        this.#open = true;
        this.#lastLine = '';
        this.#attempt = 0;
        response.once('close', lost);
        this.#write();
        resolve();
      });
      request.flushHeaders();
    });
  }

  #reconnectLater(): void {
    if (this.#closed || this.#retry !== undefined) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#attempt++;
      this.#connect().catch(() => this.#reconnectLater());
    }, retryMs(this.#attempt));
    this.#retry.unref();
  }

  #markDirty(): void {
    if (this.#timer !== undefined || !this.#open || this.#blocked || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#write();
    }, Math.max(0, this.#lastSent + this.#options.intervalMs - performance.now()));
    this.#timer.unref();
  }

  #write(): void {
    const request = this.#request;
    if (request === undefined || !this.#open) return;
    this.#lastSent = performance.now();
    const view = this.#collector.process();
    const line: LinkLine = { v: 1, process: view };
    const text = `${JSON.stringify(line)}\n`;
    this.#moving = moving(view);
    clearTimeout(this.#refresh);
    this.#refresh = setTimeout(() => {
      if (this.#moving) this.#markDirty();
    }, this.#options.refreshMs);
    this.#refresh.unref();
    if (text === this.#lastLine) return;
    this.#lastLine = text;
    this.#sent++;
    if (!request.write(text)) {
      this.#blocked = true;
      request.once('drain', () => {
        this.#blocked = false;
        this.#markDirty();
      });
    }
  }
}
