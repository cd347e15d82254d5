// Who may read the dashboard: a loopback listener serves only requests addressed to a loopback name; one
// bound elsewhere serves only requests that carry its token.

/** Whether a listen address reaches this machine only. */
export function isLoopback(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare) || bare === '::ffff:127.0.0.1';
}

/** A random token: 24 bytes, URL-safe. */
export function newToken(): string {
  return process.getBuiltinModule('node:crypto').randomBytes(24).toString('base64url');
}

/** The host name of a `Host` header (`127.0.0.1:8080`, `[::1]:8080`, `localhost`). */
function hostName(header: string): string {
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  const colon = header.lastIndexOf(':');
  return colon < 0 ? header : header.slice(0, colon);
}

export class Access {
  readonly #token: Buffer | undefined;
  readonly #loopback: boolean;

  /** `token` undefined: no token is asked for (a loopback listener). */
  constructor(token: string | undefined, loopback: boolean) {
    this.#token = token === undefined ? undefined : Buffer.from(token);
    this.#loopback = loopback;
  }

  /**
   * Whether a request may be answered. On loopback, a page elsewhere that made the browser resolve its own
   * name to 127.0.0.1 (DNS rebinding) still sends its own name as `Host`: such requests are refused. Bound
   * elsewhere, the token decides: in the query (`?token=`, what the printed URL and the page carry) or as
   * `Authorization: Bearer` (what a linked pool sends).
   */
  allows(hostHeader: string | undefined, url: URL, authorization: string | undefined): boolean {
    if (this.#loopback && (hostHeader === undefined || !isLoopback(hostName(hostHeader)))) return false;
    if (this.#token === undefined) return true;
    const given = url.searchParams.get('token') ?? (authorization?.startsWith('Bearer ') === true ? authorization.slice(7) : undefined);
    if (given === undefined) return false;
    const bytes = Buffer.from(given);
    return bytes.length === this.#token.length && process.getBuiltinModule('node:crypto').timingSafeEqual(bytes, this.#token);
  }
}
