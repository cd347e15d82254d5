// Addresses of listeners and clients: `[host, port]` for TCP, a path for a Unix socket (a leading NUL
// names a Linux abstract socket), checked as Python's `address_type` reads them.
import { expected } from '../errors.js';

export type Family = 'AF_INET' | 'AF_INET6' | 'AF_UNIX';

/** `[host, port]` (TCP) or a socket path (Unix; `'\0name'` is abstract, on Linux). */
export type Address = readonly [host: string, port: number] | string;

const families: readonly Family[] = ['AF_INET', 'AF_INET6', 'AF_UNIX'];

/** The family `address` belongs to, checked against an explicit `family`. */
export function familyOf(address: unknown, family: unknown): Family {
  if (family !== undefined && !(families as readonly unknown[]).includes(family)) {
    throw new TypeError(expected('family', "'AF_INET', 'AF_INET6' or 'AF_UNIX'", family));
  }
  if (typeof address === 'string') {
    if (address.length === 0 || address === '\0') throw new TypeError(expected('address', 'a socket path or [host, port]', address));
    if (family !== undefined && family !== 'AF_UNIX') throw new TypeError(expected('address', `[host, port] for family ${family as string}`, address));
    return 'AF_UNIX';
  }
  if (Array.isArray(address) && address.length === 2) {
    const [host, port] = address as unknown[];
    if (typeof host !== 'string') throw new TypeError(expected('address[0]', 'a host name or IP address (string)', host));
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(expected('address[1]', 'a port number from 0 to 65535', port));
    }
    if (family === 'AF_UNIX') throw new TypeError(expected('address', 'a socket path for family AF_UNIX', address));
    return (family as Family | undefined) ?? (host.includes(':') ? 'AF_INET6' : 'AF_INET');
  }
  throw new TypeError(expected('address', 'a socket path or [host, port]', address));
}

/** How an address reads in messages: `127.0.0.1:5000`, `/tmp/x.sock`, `@abstract`. */
export function describeAddress(address: Address): string {
  if (typeof address === 'string') return address.startsWith('\0') ? `@${address.slice(1)}` : address;
  return address[0].includes(':') ? `[${address[0]}]:${address[1]}` : `${address[0]}:${address[1]}`;
}
