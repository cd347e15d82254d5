// ProxyRef: a pickled proxy (Python's RebuildProxy(AutoProxy or another proxy type, token, serializer, kwds)), read and written as Python does.
import { registerPickleClass, registerPickleFunction } from '../pickle/registry.js';
import { toTuple } from '../pickle/types.js';
import { ManagerProtocolError } from './errors.js';
import { Token } from './token.js';

/**
 * A proxy as a value: what Python's `BaseProxy.__reduce__` writes (`RebuildProxy(AutoProxy, token, 'pickle',
 * {'exposed': (...)})`, or a proxy type of SyncManager's such as `DictProxy` in place of `AutoProxy`), loaded
 * without connecting anywhere. `manager.proxyFor(ref)` makes it a live proxy (a SyncManager does so itself for
 * the ones in its replies); dumping it writes the same reduction, which a Python process loads as that proxy.
 */
export class ProxyRef {
  constructor(
    readonly token: Token,
    readonly exposed: readonly string[] | undefined,
    readonly serializer = 'pickle',
    /** The proxy type Python rebuilds it as: `AutoProxy`, or one of `proxyTypeNames`. */
    readonly proxytype = 'AutoProxy',
  ) {}
}

/** The proxy types of `multiprocessing.managers` a pickled proxy may name (SyncManager's, and AutoProxy). */
export const proxyTypeNames: readonly string[] = [
  'AutoProxy',
  'IteratorProxy',
  'AcquirerProxy',
  'ConditionProxy',
  'EventProxy',
  'BarrierProxy',
  'NamespaceProxy',
  'ValueProxy',
  'ListProxy',
  'DictProxy',
  'ArrayProxy',
  'PoolProxy',
];

/** Each proxy type stands for itself on the wire: only RebuildProxy reads it, nothing calls it. */
const proxyTypes = new Map<unknown, string>(
  proxyTypeNames.map((name) => [
    function proxyType(): never {
      throw new ManagerProtocolError(`multiprocessing.managers.${name} is only read as the first argument of RebuildProxy`);
    },
    name,
  ]),
);
const proxyTypeByName = new Map<string, unknown>([...proxyTypes].map(([fn, name]) => [name, fn]));

/** Python's `AutoProxy`, as a pickled proxy names it. */
export const autoProxy = proxyTypeByName.get('AutoProxy') as () => never;

let onLoaded: ((ref: ProxyRef) => void) | undefined;
let loadedCount = 0;

/** How many ProxyRefs this thread has loaded so far: a reply read since a count was taken may hold some if it changed. */
export function proxyRefsLoaded(): number {
  return loadedCount;
}

/** `load()`, with `watch` told of every ProxyRef it reads (the server keeps the objects they name alive). */
export function watchingProxyRefs<T>(watch: (ref: ProxyRef) => void, load: () => T): T {
  const outer = onLoaded;
  onLoaded = watch;
  try {
    return load();
  } finally {
    onLoaded = outer;
  }
}

function rebuildProxy(func: unknown, token: unknown, serializer: unknown, kwds: unknown): ProxyRef {
  const proxytype = proxyTypes.get(func);
  if (proxytype === undefined) throw new ManagerProtocolError(`RebuildProxy is only read with one of ${proxyTypeNames.join(', ')} (a proxy type of its own is not on the allow-list)`);
  if (!(token instanceof Token)) throw new ManagerProtocolError('RebuildProxy was given no Token');
  if (typeof serializer !== 'string') throw new ManagerProtocolError('RebuildProxy was given no serializer name');
  let exposed: string[] | undefined;
  const given: unknown = kwds instanceof Map ? kwds.get('exposed') : undefined;
  if (given !== undefined && given !== null) {
    if (!Array.isArray(given) || !given.every((name) => typeof name === 'string')) throw new ManagerProtocolError('RebuildProxy was given an exposed list that is not names');
    exposed = [...given] as string[];
  }
  const ref = new ProxyRef(token, exposed, serializer, proxytype);
  loadedCount++;
  onLoaded?.(ref);
  return ref;
}

/** What Python's `BaseProxy.__reduce__` writes for a proxy of `proxytype` (the exposed names go with an AutoProxy). */
export function proxyReduction(token: Token, exposed: readonly string[] | undefined, serializer = 'pickle', proxytype = 'AutoProxy'): [typeof rebuildProxy, unknown[]] {
  const kwds = new Map<unknown, unknown>();
  if (exposed !== undefined) kwds.set('exposed', toTuple(exposed));
  const func = proxyTypeByName.get(proxytype);
  if (func === undefined) throw new ManagerProtocolError(`${proxytype} is not one of the proxy types ${proxyTypeNames.join(', ')}`);
  return [rebuildProxy, [func, token, serializer, kwds]];
}

for (const [fn, name] of proxyTypes) registerPickleFunction('multiprocessing.managers', name, fn as () => never);
registerPickleFunction('multiprocessing.managers', 'RebuildProxy', rebuildProxy);
registerPickleClass('multiprocessing.managers', 'BaseProxy', ProxyRef, {
  reduce: (ref) => proxyReduction(ref.token, ref.exposed, ref.serializer, ref.proxytype),
  // Only written: a stream naming BaseProxy itself is no proxy Python writes.
  create: () => {
    throw new ManagerProtocolError('multiprocessing.managers.BaseProxy is not read; proxies come as RebuildProxy(AutoProxy, ...)');
  },
});
