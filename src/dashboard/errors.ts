// Errors the dashboard raises: it cannot listen, or a pool cannot link to a standalone one.
import { MultiprocError } from '../errors.js';

/** The dashboard's address is taken or cannot be bound. */
export class DashboardListenError extends MultiprocError {
  readonly host: string;
  readonly port: number;

  constructor(host: string, port: number, cause: unknown) {
    const why = typeof cause === 'object' && cause !== null && 'code' in cause ? ` (${String(cause.code)})` : '';
    super('ERR_MP_DASHBOARD_LISTEN', `The dashboard cannot listen on ${host}:${port}${why}`, { cause });
    this.host = host;
    this.port = port;
  }
}

/** A pool's process could not link to a standalone dashboard. */
export class DashboardLinkError extends MultiprocError {
  readonly url: string;

  constructor(url: string, why: string, cause?: unknown) {
    super('ERR_MP_DASHBOARD_LINK', `Cannot link to the dashboard at ${url}: ${why}`, cause === undefined ? {} : { cause });
    this.url = url;
  }
}
