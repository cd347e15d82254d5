// Managers: Python's multiprocessing.managers protocol, a server and a client, with Token and pickled proxies.
export { BaseManager, type ManagerOptions } from './manager.js';
export { ManagerServer, type ManagerServerOptions } from './server.js';
export { BaseProxy, type AutoProxy, type Blocking, type QueueProxy, type RemoteMethod } from './proxy.js';
export { ProxyRef } from './proxy-ref.js';
export { Token } from './token.js';
export { ManagedQueue } from './managed-queue.js';
export { keywordParameters, type TypeidOptions } from './served.js';
export { callSignal } from './call-context.js';
export { ManagerRemoteError, ManagerProtocolError, ManagerStateError } from './errors.js';
export { SyncManager, syncTypeids } from './sync-manager.js';
export {
  SyncProxy,
  JoinableQueueProxy,
  EventProxy,
  AcquirerProxy,
  ConditionProxy,
  BarrierProxy,
  ValueProxy,
  NamespaceProxy,
  ListProxy,
  DictProxy,
  ArrayProxy,
  IteratorProxy,
  PoolProxy,
  AsyncResultProxy,
  type PoolTask,
  isStopIteration,
  type Mode as ProxyMode,
  type Result as ProxyResult,
} from './sync/proxies.js';
export { Slice } from './sync/python-values.js';
