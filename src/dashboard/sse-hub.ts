// The pages subscribed to a dashboard, over Server-Sent Events: every change marks the state dirty, and the
// state goes out at most once per interval however many changes came, one JSON text for every page; a state
// that shows nothing new is not sent, and nothing is refreshed while nothing moves.
import type { ServerResponse } from 'node:http';

interface Client {
  readonly response: ServerResponse;
  /** The socket's buffer is full: this page gets the next state once it drains, never a queue of them. */
  blocked: boolean;
}

export interface SseHubOptions {
  /**
   * The state as one JSON text; called at most once per flush, only when a page listens. `fresh`: the state is
   * wanted whatever it holds (a page just subscribed, or one missed states while its socket was full);
   * otherwise undefined when the state shows nothing the pages were not sent already (then nothing is sent).
   */
  render: (fresh: boolean) => string | undefined;
  /**
   * Whether the state moves by itself (a task or a map running, a rate still falling): only then does the
   * refresh send a state when nothing happened. Without it, always.
   */
  moving?: () => boolean;
  /** The shortest time between two states sent. */
  intervalMs: number;
  /** A state goes out this often even when nothing changed (running times and memory move by themselves). */
  refreshMs: number;
  /** A comment line this often keeps proxies and idle sockets from closing the stream. */
  keepAliveMs?: number;
}

export class SseHub {
  readonly #clients = new Set<Client>();
  readonly #options: SseHubOptions;
  #timer: NodeJS.Timeout | undefined;
  #refresh: NodeJS.Timeout | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  #lastFlush = -Infinity;
  #sent = 0;
  #closed = false;
  /** A page missed a state (its socket was full): the next flush sends one even if nothing changed since. */
  #resend = false;

  constructor(options: SseHubOptions) {
    this.#options = options;
  }

  /** States sent (one per flush, whatever the number of pages). */
  get sent(): number {
    return this.#sent;
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Takes over a request's response as an event stream and sends it the current state at once. */
  subscribe(response: ServerResponse): void {
    if (this.#closed) {
      response.writeHead(503).end();
      return;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.socket?.setNoDelay(true);
    const client: Client = { response, blocked: false };
    this.#clients.add(client);
    response.on('close', () => {
      this.#clients.delete(client);
      if (this.#clients.size === 0) this.#stopTimers();
    });
    response.write('retry: 1000\n\n');
    this.#send(client, this.#options.render(true) ?? '');
    this.#startTimers();
  }

  /** Something changed: a state goes out now, or when the interval since the last one is up. */
  markDirty(): void {
    if (this.#timer !== undefined || this.#clients.size === 0 || this.#closed) return;
    const wait = Math.max(0, this.#lastFlush + this.#options.intervalMs - performance.now());
    this.#timer = setTimeout(() => this.#flush(), wait);
    this.#timer.unref();
  }

  /** Ends every stream; pages see the end and retry, which a closed server refuses. */
  close(): void {
    this.#closed = true;
    this.#stopTimers();
    for (const client of this.#clients) client.response.end();
    this.#clients.clear();
  }

  #flush(): void {
    this.#timer = undefined;
    if (this.#clients.size === 0 || this.#closed) return;
    this.#lastFlush = performance.now();
    const text = this.#options.render(this.#resend);
    this.#resend = false;
    this.#restartRefresh();
    if (text === undefined) return;
    this.#sent++;
    for (const client of this.#clients) if (!client.blocked) this.#send(client, text);
  }

  #send(client: Client, json: string): void {
    if (client.response.write(`event: state\ndata: ${json}\n\n`)) return;
    client.blocked = true;
    client.response.once('drain', () => {
      client.blocked = false;
      this.#resend = true;
      this.markDirty();
    });
  }

  #startTimers(): void {
    this.#restartRefresh();
    if (this.#keepAlive !== undefined) return;
    this.#keepAlive = setInterval(() => {
      for (const client of this.#clients) if (!client.blocked) client.response.write(': keep-alive\n\n');
    }, this.#options.keepAliveMs ?? 15_000);
    this.#keepAlive.unref();
  }

  #restartRefresh(): void {
    clearTimeout(this.#refresh);
    this.#refresh = setTimeout(() => {
      if (this.#options.moving?.() ?? true) this.markDirty();
      else this.#refresh = undefined;
    }, this.#options.refreshMs);
    this.#refresh.unref();
  }

  #stopTimers(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#refresh);
    clearInterval(this.#keepAlive);
    this.#timer = this.#refresh = this.#keepAlive = undefined;
  }
}
