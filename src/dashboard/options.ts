// The dashboard's options, their defaults and their checks.
import { checkObject, expected } from '../errors.js';
import { isLoopback, newToken } from './access.js';

export interface DashboardOptions {
  /**
   * The port to listen on; 0 takes a free one (the URL says which).
   * @default 0
   */
  port?: number;
  /**
   * The address to listen on. Anything but a loopback address makes the dashboard ask for a token.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * The token every request must carry (`?token=` in the URL). Given on loopback, it is asked for there too.
   * @default a random one when `host` is not a loopback address; none on loopback
   */
  token?: string;
  /**
   * The URL of a dashboard running elsewhere (what `multiproc dashboard` prints, token included): this
   * process's pools are shown there, and no server is started here. `port`, `host` and `token` do not apply.
   */
  connect?: string | URL;
}

export const defaults = {
  port: 0,
  host: '127.0.0.1',
  /** The shortest time between two updates of the page. */
  intervalMs: 180,
  /** An update goes out this often even when nothing happened (running times and memory move by themselves). */
  refreshMs: 1000,
} as const;

export interface CheckedOptions {
  port: number;
  host: string;
  token: string | undefined;
  connect: URL | undefined;
}

/** A port number as the options and `MULTIPROC_DASHBOARD` give it. */
export function checkPort(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(expected('port', 'an integer from 0 to 65535', value));
  if (value < 0 || value > 65_535) throw new RangeError(expected('port', 'an integer from 0 to 65535', value));
  return value;
}

export function checkDashboardOptions(options: unknown): CheckedOptions {
  checkObject('options', options);
  const { port, host, token, connect } = options as DashboardOptions;
  if (host !== undefined && (typeof host !== 'string' || host === '')) throw new TypeError(expected('host', 'a non-empty string', host));
  if (token !== undefined && (typeof token !== 'string' || !/^[\w.~-]{8,256}$/.test(token))) {
    throw new TypeError(expected('token', 'a string of 8 to 256 letters, digits, `-`, `_`, `.` or `~`', token));
  }
  let url: URL | undefined;
  if (connect !== undefined) {
    if (typeof connect !== 'string' && !(connect instanceof URL)) throw new TypeError(expected('connect', 'a URL (string or URL)', connect));
    if (typeof connect === 'string' && !URL.canParse(connect)) throw new TypeError(expected('connect', 'a URL (string or URL)', connect));
    url = new URL(connect);
  }
  const checkedHost = host ?? defaults.host;
  return {
    port: port === undefined ? defaults.port : checkPort(port),
    host: checkedHost,
    token: token ?? (isLoopback(checkedHost) ? undefined : newToken()),
    connect: url,
  };
}
