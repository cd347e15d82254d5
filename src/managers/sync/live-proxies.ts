// The proxies in a SyncManager reply made live, as Python's client rebuilds every RebuildProxy it unpickles.
import type { BaseProxy } from '../proxy.js';
import { ProxyRef } from '../proxy-ref.js';
import { Token } from '../token.js';
import { proxyFor, type SyncProxyOwner } from './proxies.js';

/**
 * Replaces, in place, every ProxyRef in `value` (itself, or at any depth of its arrays, tuples, Maps and plain
 * objects) with what `make` gives for it; returns the new value. A reply is freshly loaded and this side's own,
 * so nothing else sees the change.
 */
export function replaceProxyRefs(value: unknown, make: (ref: ProxyRef) => unknown): unknown {
  if (value instanceof ProxyRef) return make(value);
  walk(value, make, new Set());
  return value;
}

function walk(value: unknown, make: (ref: ProxyRef) => unknown, seen: Set<object>): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  const swap = (item: unknown): unknown => {
    if (item instanceof ProxyRef) return make(item);
    walk(item, make, seen);
    return item;
  };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = swap(value[i]);
  } else if (value instanceof Map) {
    for (const [key, item] of value) value.set(key, swap(item));
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = swap(record[key]);
  }
}

/** A live proxy for `ref`, owned by `owner`, with its own Token (each proxy has one). */
function live(owner: SyncProxyOwner, ref: ProxyRef): [Token, BaseProxy] {
  const token = new Token(ref.token.typeid, ref.token.address, ref.token.id);
  return [token, proxyFor(owner, token, ref.exposed ?? [])];
}

/** The ProxyRefs of a reply made live proxies of `owner`, each with a reference of its own taken first (as Python's RebuildProxy does). */
export function adoptProxiesSync(value: unknown, owner: SyncProxyOwner, incref: (token: Token) => void): unknown {
  return replaceProxyRefs(value, (ref) => {
    const [token, proxy] = live(owner, ref);
    incref(token);
    return proxy;
  });
}

/** `adoptProxiesSync` with the references taken asynchronously; resolves once all are. */
export async function adoptProxies(value: unknown, owner: SyncProxyOwner): Promise<unknown> {
  const increfs: Promise<void>[] = [];
  const adopted = replaceProxyRefs(value, (ref) => {
    const [token, proxy] = live(owner, ref);
    increfs.push(owner.incref(token));
    return proxy;
  });
  await Promise.all(increfs);
  return adopted;
}
