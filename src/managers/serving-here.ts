// The addresses this thread's manager servers listen at, so a blocking call that would wait on its own event loop is refused.
import type { Address } from '../connection/address.js';

const addresses = new Set<string>();

/** An address as a map key: the path, or `host:port`. */
export function addressKey(address: Address): string {
  return typeof address === 'string' ? address : `${address[0]}:${address[1]}`;
}

export function servingHere(address: Address): boolean {
  return addresses.has(addressKey(address));
}

export function markServing(address: Address, serving: boolean): void {
  if (serving) addresses.add(addressKey(address));
  else addresses.delete(addressKey(address));
}

/** Whether two addresses name the same server (a loaded Token's address is a tuple of host and port). */
export function sameAddress(a: unknown, b: Address): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return Array.isArray(a) && a.length === 2 && a[0] === b[0] && Number(a[1]) === b[1];
}
