// The dashboard as users start it: `pool.dashboard()`, `MULTIPROC_DASHBOARD`, and the standalone
// `multiproc dashboard` that pools in other processes link to. One server (or link) per process serves
// every pool of the process.
import { DashboardListenError } from './errors.js';
import { DashboardLink, redact } from './link.js';
import { checkDashboardOptions, checkPort, defaults, type CheckedOptions, type DashboardOptions } from './options.js';
import { processCollector, type WatchedPool } from './process-collector.js';
import { DashboardServer } from './server.js';

/** A dashboard this process serves, or the link that shows its pools on one elsewhere. */
export class Dashboard {
  readonly #server: DashboardServer | undefined;
  readonly #link: DashboardLink | undefined;
  #closing: Promise<void> | undefined;

  /** @internal made by `pool.dashboard()`, `serveDashboard()` and `linkDashboard()`. */
  constructor(server: DashboardServer | undefined, link: DashboardLink | undefined) {
    this.#server = server;
    this.#link = link;
  }

  /** The page's address, token included when one is asked for. */
  get url(): string {
    return this.#server?.url ?? this.#link?.url ?? '';
  }

  /** Whether this process serves the page (false: it is linked to a dashboard elsewhere). */
  get serving(): boolean {
    return this.#server !== undefined;
  }

  /** Updates pushed so far: to the pages (one per coalesced update, whatever their number), or over the link. */
  get updatesSent(): number {
    return this.#server?.updatesSent ?? this.#link?.sent ?? 0;
  }

  /** Pages subscribed now (0 for a link). */
  get subscribers(): number {
    return this.#server?.subscribers ?? 0;
  }

  /** Stops serving (pages see the stream end) or ends the link (the dashboard shows this process as gone). */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closing = (this.#server?.close() ?? this.#link?.close() ?? Promise.resolve()).finally(() => {
        if (processDashboard === this) processDashboard = undefined;
      });
    }
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The dashboard `pool.dashboard()` started in this process (every later call shows its pool there too). */
let processDashboard: Dashboard | undefined;
let starting: Promise<Dashboard> | undefined;

function serve(options: CheckedOptions, local: boolean, ref: boolean): Promise<DashboardServer> {
  return DashboardServer.start({
    port: options.port, host: options.host, token: options.token, ref, intervalMs: defaults.intervalMs, refreshMs: defaults.refreshMs,
    local: local ? processCollector : undefined,
  });
}

function link(url: URL): Promise<DashboardLink> {
  return DashboardLink.open(url, processCollector, { intervalMs: defaults.intervalMs, refreshMs: defaults.refreshMs });
}

/**
 * Shows `pool`, and every other pool of this process, on a live page: a server of this process's own, or
 * (`connect`) a dashboard elsewhere. The first call starts it; later ones show their pool on the same one
 * and return it. The server does not keep the process alive.
 */
export async function openDashboard(pool: WatchedPool, poolId: number, options: DashboardOptions = {}): Promise<Dashboard> {
  const checked = checkDashboardOptions(options);
  processCollector.attach(pool, poolId);
  if (processDashboard === undefined) {
    starting ??= (checked.connect !== undefined ? link(checked.connect).then((made) => new Dashboard(undefined, made)) : serve(checked, true, false).then((made) => new Dashboard(made, undefined)))
      .finally(() => (starting = undefined));
    processDashboard = await starting;
  }
  return processDashboard;
}

/** The standalone dashboard (`multiproc dashboard`): pages, and linked processes' pools; it keeps its process alive. */
export async function serveDashboard(options: Omit<DashboardOptions, 'connect'> = {}): Promise<Dashboard> {
  const checked = checkDashboardOptions(options);
  return new Dashboard(await serve(checked, false, true), undefined);
}

/** Whether `MULTIPROC_DASHBOARD` asks for a dashboard: a pool created then records its insights for it unless told not to. */
export function dashboardInEnv(): boolean {
  const value = process.env['MULTIPROC_DASHBOARD'];
  return value !== undefined && value !== '';
}

/**
 * `MULTIPROC_DASHBOARD` for a pool being created: a port (the first process to bind it serves this process's
 * pools there; a process that finds it taken links to it, so every process given the same port is on one page),
 * or the URL of a dashboard elsewhere. Never throws: a pool starts whatever becomes of its dashboard, and a
 * dashboard that cannot start is a warning.
 */
export function dashboardFromEnv(pool: WatchedPool, poolId: number): void {
  const value = process.env['MULTIPROC_DASHBOARD'];
  if (value === undefined || value === '') return;
  const warn = (error: unknown): void => {
    process.emitWarning(`MULTIPROC_DASHBOARD=${/^\d+$/.test(value) ? value : redact(new URL(value))}: ${error instanceof Error ? error.message : String(error)}`, {
      type: 'MultiprocWarning', code: 'MP_DASHBOARD',
    });
  };
  let options: DashboardOptions;
  try {
    options = /^\d+$/.test(value) ? { port: checkPort(Number(value)) } : { connect: value };
    checkDashboardOptions(options);
  } catch (error) {
    warn(error);
    return;
  }
  const announce = (dashboard: Dashboard): void => {
    if (dashboard.serving) process.stderr.write(`multiproc: dashboard at ${dashboard.url}\n`);
  };
  const first = processDashboard === undefined && starting === undefined;
  openDashboard(pool, poolId, options).then((dashboard) => {
    if (first) announce(dashboard);
  }, (error: unknown) => {
    if (!(error instanceof DashboardListenError) || options.port === undefined) return warn(error);
    openDashboard(pool, poolId, { connect: `http://127.0.0.1:${options.port}/` }).catch(warn);
  });
}
