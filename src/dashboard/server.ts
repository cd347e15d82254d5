// The dashboard's HTTP server (node:http): the page, its event stream, the JSON snapshots, and the
// endpoint pools in other processes stream their state to.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Access, isLoopback } from './access.js';
import { isAsset, readAsset } from './assets.js';
import { DashboardListenError } from './errors.js';
import { RemoteProcesses } from './remote-processes.js';
import { SseHub } from './sse-hub.js';
import { moving, type DashboardState, type ProcessView } from './view.js';

/** What the server shows of the process it runs in (absent for the standalone `multiproc dashboard`). */
export interface LocalSource {
  process(): ProcessView;
  /** The named pool's `insights()`, fresh. */
  insights(poolId: string): unknown;
  /** Called on every change the page should see. */
  onChange(listener: () => void): () => void;
}

export interface ServerOptions {
  port: number;
  host: string;
  /** Asked for on every request but the page's script and style; undefined: none asked for (loopback only). */
  token: string | undefined;
  local: LocalSource | undefined;
  /** Keeps the process alive while listening (the standalone command), or not (a pool's own dashboard). */
  ref: boolean;
  intervalMs: number;
  refreshMs: number;
}

/** Longest line a linked process may send: a state, never a stream of unbounded size held in memory. */
const maxLineBytes = 8 * 1024 * 1024;

/** The security headers of every answer: the page runs only its own script and talks only to its server. */
const pageHeaders = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function json(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { ...pageHeaders, 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(value));
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { ...pageHeaders, 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
}

export class DashboardServer {
  readonly #server: Server;
  readonly #options: ServerOptions;
  readonly #access: Access;
  readonly #hub: SseHub;
  readonly #remotes: RemoteProcesses;
  readonly #sockets = new Set<Socket>();
  readonly #unsubscribe: (() => void) | undefined;
  #seq = 0;
  #url = '';
  /** The processes as last rendered for the pages (JSON), to tell a state that shows nothing new. */
  #lastShown = '';
  /** Whether the last state rendered moves by itself (see `moving`). */
  #moving = true;

  private constructor(server: Server, options: ServerOptions) {
    this.#server = server;
    this.#options = options;
    this.#access = new Access(options.token, isLoopback(options.host));
    this.#hub = new SseHub({ render: (fresh) => this.#render(fresh), moving: () => this.#moving, intervalMs: options.intervalMs, refreshMs: options.refreshMs });
    this.#remotes = new RemoteProcesses(() => this.#hub.markDirty());
    this.#unsubscribe = options.local?.onChange(() => this.#hub.markDirty());
    server.on('request', (request: IncomingMessage, response: ServerResponse) => this.#handle(request, response));
    server.on('connection', (socket: Socket) => {
      if (!options.ref) socket.unref();
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** Listens; rejects with `ERR_MP_DASHBOARD_LISTEN` when the address is taken or cannot be bound. */
  static async start(options: ServerOptions): Promise<DashboardServer> {
    const server = process.getBuiltinModule('node:http').createServer({ keepAliveTimeout: 5_000 });
    const dashboard = new DashboardServer(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new DashboardListenError(options.host, options.port, error)));
      server.listen(options.port, options.host, () => resolve());
    });
    if (!options.ref) server.unref();
    const { port } = server.address() as AddressInfo;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    dashboard.#url = `http://${host}:${port}/${options.token === undefined ? '' : `?token=${encodeURIComponent(options.token)}`}`;
    return dashboard;
  }

  /** The page's address, with its token when one is asked for. */
  get url(): string {
    return this.#url;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** States pushed to the pages so far (one per coalesced update, whatever the number of pages). */
  get updatesSent(): number {
    return this.#hub.sent;
  }

  /** Pages subscribed now. */
  get subscribers(): number {
    return this.#hub.clients;
  }

  /** Everything the page shows: this process's pools, then those of linked processes. */
  state(): DashboardState {
    return { v: 1, seq: ++this.#seq, at: Date.now(), processes: this.#processes() };
  }

  /** The state for the pages as one JSON text, or undefined when it shows what they were last sent (and `fresh` is false). */
  #render(fresh: boolean): string | undefined {
    const processes = this.#processes();
    const shown = JSON.stringify(processes);
    this.#moving = processes.some(moving);
    if (!fresh) {
      if (shown === this.#lastShown) return undefined;
      // Only what every page was sent counts: a state sent to a page that just came does not stop the others' next one.
      this.#lastShown = shown;
    }
    // The same text as JSON.stringify(state()), the processes' part rendered once.
    return `{"v":1,"seq":${++this.#seq},"at":${Date.now()},"processes":${shown}}`;
  }

  #processes(): ProcessView[] {
    const processes = this.#options.local === undefined ? [] : [this.#options.local.process()];
    return [...processes, ...this.#remotes.list()];
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.#hub.close();
    this.#remotes.close();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://dashboard.invalid');
    const path = url.pathname;
    // The script and the style are the same for everyone and hold nothing about the pools.
    if (path !== '/dashboard.js' && path !== '/dashboard.css' && !this.#access.allows(request.headers.host, url, request.headers.authorization)) {
      plain(response, 403, 'forbidden: this dashboard asks for its token (the URL it printed carries it)');
      request.resume();
      return;
    }
    if (request.method === 'POST' && path === '/ingest') {
      this.#ingest(request, response);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      plain(response, 405, 'method not allowed');
      request.resume();
      return;
    }
    if (isAsset(path)) {
      const { body, type } = readAsset(path);
      response.writeHead(200, { ...pageHeaders, 'content-type': type, 'content-length': body.length }).end(request.method === 'HEAD' ? undefined : body);
    } else if (path === '/events') {
      this.#hub.subscribe(response);
    } else if (path === '/api/state') {
      json(response, 200, this.state());
    } else if (path.startsWith('/api/pools/') && path.endsWith('/insights')) {
      const id = decodeURIComponent(path.slice('/api/pools/'.length, -'/insights'.length));
      const insights = this.#insights(id);
      if (insights === undefined) json(response, 404, { error: 'no such pool', id });
      else json(response, 200, insights);
    } else {
      plain(response, 404, 'not found');
    }
  }

  #insights(id: string): unknown {
    const local = this.#options.local;
    if (local !== undefined && local.process().pools.some((pool) => pool.id === id)) return local.insights(id);
    return this.#remotes.insights(id);
  }

  /** A linked process streams its state: one JSON line per update, for as long as it is linked. */
  #ingest(request: IncomingMessage, response: ServerResponse): void {
    const link = this.#remotes.open();
    let pending = '';
    const refuse = (why: string): void => {
      response.end(`refused: ${why}\n`);
      request.destroy();
    };
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line !== '' && !link.receive(line)) return refuse('a line is not a process state');
      }
      if (pending.length > maxLineBytes) refuse('a line is too long');
    });
    request.once('close', () => link.close());
    request.once('end', () => response.end());
    // The head goes at once: the linked process learns that its token was right before it sends a state.
    response.writeHead(200, { ...pageHeaders, 'content-type': 'text/plain; charset=utf-8' });
    response.flushHeaders();
  }
}
