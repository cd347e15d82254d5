// ProxyRef: a pickled proxy (Python's RebuildProxy(AutoProxy, token, serializer, kwds)), read and written as Python does.
import { registerPickleClass, registerPickleFunction } from '../pickle/registry.js';
import { toTuple } from '../pickle/types.js';
import { ManagerProtocolError } from './errors.js';
import { Token } from './token.js';

/**
 * A proxy as a value: what Python's `BaseProxy.__reduce__` writes (`RebuildProxy(AutoProxy, token, 'pickle',
 * {'exposed': (...)})`), loaded without connecting anywhere. `ManagerClient.proxyFor(ref)` makes it a live proxy;
 * dumping it writes the same reduction, which a Python process loads as an AutoProxy.
 */
export class ProxyRef {
  constructor(
    readonly token: Token,
    readonly exposed: readonly string[] | undefined,
    readonly serializer = 'pickle',
  ) {}
}

/** Python's `AutoProxy`: stands for itself on the wire; only RebuildProxy calls it. */
export function autoProxy(): never {
  throw new ManagerProtocolError('multiprocessing.managers.AutoProxy is only read as the first argument of RebuildProxy');
}

function rebuildProxy(func: unknown, token: unknown, serializer: unknown, kwds: unknown): ProxyRef {
  if (func !== autoProxy) throw new ManagerProtocolError('RebuildProxy is only read with AutoProxy (a proxy type of its own is not on the allow-list)');
  if (!(token instanceof Token)) throw new ManagerProtocolError('RebuildProxy was given no Token');
  if (typeof serializer !== 'string') throw new ManagerProtocolError('RebuildProxy was given no serializer name');
  let exposed: string[] | undefined;
  const given: unknown = kwds instanceof Map ? kwds.get('exposed') : undefined;
  if (given !== undefined && given !== null) {
    if (!Array.isArray(given) || !given.every((name) => typeof name === 'string')) throw new ManagerProtocolError('RebuildProxy was given an exposed list that is not names');
    exposed = [...given] as string[];
  }
  return new ProxyRef(token, exposed, serializer);
}

registerPickleFunction('multiprocessing.managers', 'AutoProxy', autoProxy);
registerPickleFunction('multiprocessing.managers', 'RebuildProxy', rebuildProxy);
registerPickleClass('multiprocessing.managers', 'BaseProxy', ProxyRef, {
  reduce: (ref) => {
    const kwds = new Map<unknown, unknown>();
    if (ref.exposed !== undefined) kwds.set('exposed', toTuple(ref.exposed));
    return [rebuildProxy, [autoProxy, ref.token, ref.serializer, kwds]];
  },
  // Only written: a stream naming BaseProxy itself is no proxy Python writes.
  create: () => {
    throw new ManagerProtocolError('multiprocessing.managers.BaseProxy is not read; proxies come as RebuildProxy(AutoProxy, ...)');
  },
});
