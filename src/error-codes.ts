// Every runtime error code multiproc raises: the class that raises it and what it means. docs/errors.md is
// generated from this file (scripts/error-docs.mjs); a test keeps the two, and the codes used in src/, equal.

/** One code: the class whose instances carry it, and one line on what it means and what to do. */
export interface ErrorCodeEntry {
  readonly class: string;
  readonly meaning: string;
}

/** The catalogue, grouped by the part of the library that raises the codes. */
export const errorCodes = {
  // Pools and their results.
  ERR_MP_WORKER_CRASHED: {
    class: 'WorkerCrashedError',
    meaning: 'The worker running the task exited, was killed or ran out of memory; it was replaced. `exitCode` and `signal` say how it ended: look for `process.exit`, a native crash or a memory limit in the task.',
  },
  ERR_MP_TASK_TIMEOUT: {
    class: 'TaskTimeoutError',
    meaning: 'The task ran past its `timeout`; its worker was stopped and replaced. Raise the limit, or have the task check `currentTask()` and stop by itself so its worker is kept.',
  },
  ERR_MP_POOL_TERMINATED: {
    class: 'PoolTerminatedError',
    meaning: '`terminate()` (or disposing the pool) stopped it before the task finished. Wait for the results before terminating, or use `close()` and `join()`.',
  },
  ERR_MP_POOL_CLOSED: {
    class: 'PoolStateError',
    meaning: 'A task was submitted after `close()` or `terminate()`. Submit everything before closing, or create a new pool.',
  },
  ERR_MP_POOL_RUNNING: {
    class: 'PoolStateError',
    meaning: '`join()` was called on a pool that still runs. Call `close()` or `terminate()` first.',
  },
  ERR_MP_INITIALIZER_FAILED: {
    class: 'InitializerError',
    meaning: "The pool's `initializer` threw in a worker, so the pool cannot run tasks; `cause` is what it threw. Fix the initializer.",
  },
  ERR_MP_POOL_IN_BOOTSTRAP: {
    class: 'PoolBootstrapError',
    meaning: 'A Pool was created or a Process started at the top level of a module a worker or child imports, which would start pools without end. Guard it with `if (!currentWorker()) { ... }` or move the task functions to a module of their own.',
  },
  ERR_MP_INSIGHTS_DISABLED: {
    class: 'InsightsDisabledError',
    meaning: '`insights()` or `printInsights()` on a pool created without `insights: true`. Create the pool with `new Pool({ insights: true })`: its figures start with its first worker, so they cannot be turned on later.',
  },
  ERR_MP_REMOTE: {
    class: 'RemoteError',
    meaning: 'A task threw something that is not an Error (a string, a number...); it is kept as `value`. Throw Error objects from tasks.',
  },
  ERR_MP_TIMEOUT: {
    class: 'ResultTimeoutError',
    meaning: '`AsyncResult.get(timeout)` ran out of time; the task itself goes on. Wait longer, or give the task its own `timeout`.',
  },
  ERR_MP_NOT_READY: {
    class: 'MultiprocError',
    meaning: '`AsyncResult.successful()` was asked before the task finished (as Python does). Check `ready()` first, or await `get()`.',
  },

  // Task modules, found and loaded by the workers.
  ERR_MP_TASK_MODULE_NOT_FOUND: {
    class: 'TaskModuleNotFoundError',
    meaning: "The task's module does not exist. Name it by a URL relative to the caller, `new URL('./tasks.js', import.meta.url)`, pointing at the file Node runs (after a build, the .js file).",
  },
  ERR_MP_TASK_MODULE_FAILED: {
    class: 'TaskModuleFailedError',
    meaning: "The task's module exists but failed to import (syntax error, missing import, a throw at its top level); `cause` is the original error. Import the module on its own to see it fail.",
  },
  ERR_MP_TASK_NOT_FOUND: {
    class: 'TaskNotFoundError',
    meaning: 'The task module has no exported function of that name; `exportedFunctions` lists what it exports and `suggestion` the closest. Export the task by name.',
  },

  // The codec.
  ERR_MP_ENCODE: {
    class: 'EncodeError',
    meaning: 'A value cannot travel: a closure, an unexported function, an unregistered class, a symbol... The message names it and where it sits; export and register it, or send plain data.',
  },
  ERR_MP_DECODE: {
    class: 'DecodeError',
    meaning: 'The bytes are truncated, corrupt or of an unknown format version. Check both sides run the same multiproc, and that the bytes are whole.',
  },
  ERR_MP_DECODE_NEEDS_IMPORT: {
    class: 'DecodeError',
    meaning: '`decodeSync` met a class or function whose trusted module is not imported yet (`moduleUrl` names it). Use `decode`, which imports it, or import the module first.',
  },
  ERR_MP_DECODE_UNTRUSTED_MODULE: {
    class: 'DecodeError',
    meaning: 'The data names a module this side is not loaded and may not import. Import it here first, or trust it with `trustModules()` or $MULTIPROC_TRUST_MODULES.',
  },
  ERR_MP_DECODE_IMPORT: {
    class: 'DecodeError',
    meaning: 'The module the data needs failed to import on this side; `cause` is the import error. Make the module importable here.',
  },
  ERR_MP_DECODE_UNKNOWN: {
    class: 'DecodeError',
    meaning: 'The data names a class, function or handle type this side has not registered, or registered differently. Register it at the top level of its module on every side.',
  },
  ERR_MP_DECODE_HOOK: {
    class: 'DecodeError',
    meaning: "A registered class's `revive`, `setState` or constructor threw while decoding; `cause` is what it threw. Fix the hook.",
  },
  ERR_MP_DECODE_HANDLE: {
    class: 'DecodeError',
    meaning: 'A received Lock, Queue or other shared handle could not be attached (its segment is gone, say); `cause` says why. Keep the sender\'s object alive until the receiver has it.',
  },

  // Shared memory.
  ERR_MP_SHM_NOT_FOUND: {
    class: 'SharedMemoryNotFoundError',
    meaning: 'No shared-memory segment has that name: it was never created, or was unlinked. Check the name, and that the creator has not unlinked it yet.',
  },
  ERR_MP_SHM_EXISTS: {
    class: 'SharedMemoryExistsError',
    meaning: 'Creating a segment whose name is taken. Pick another name, attach to the existing one, or unlink it first.',
  },
  ERR_MP_SHM_NO_SPACE: {
    class: 'SharedMemoryNoSpaceError',
    meaning: 'The segment folder (/dev/shm, or $MULTIPROC_SHM_DIR) has no room for the segment; reported at open, never as a SIGBUS later. Free space, make it smaller, or point $MULTIPROC_SHM_DIR elsewhere.',
  },
  ERR_MP_SHM_CLOSED: {
    class: 'SharedMemoryClosedError',
    meaning: 'The SharedMemory handle was closed; its buffer is no longer the segment. Attach again to use the segment.',
  },
  ERR_MP_SHM_EMPTY: {
    class: 'SharedMemoryError',
    meaning: 'The segment has 0 bytes, so there is nothing to map. Attach once its creator has sized it.',
  },
  ERR_MP_SHM_ACCESS: {
    class: 'SharedMemoryError',
    meaning: 'Permission denied: segments are 0600, for the same user only. Run both sides as the same user.',
  },
  ERR_MP_SHM_SYSTEM: {
    class: 'SharedMemoryError',
    meaning: 'A system call on a segment failed for another reason; `errno`, `syscall` and `path` say which.',
  },
  ERR_MP_MANAGER_ALREADY_STARTED: {
    class: 'MultiprocError',
    meaning: '`SharedMemoryManager.start()` was called twice. Start it once.',
  },
  ERR_MP_MANAGER_NOT_STARTED: {
    class: 'MultiprocError',
    meaning: 'A SharedMemoryManager made a segment or list before `start()`. Call `start()` first.',
  },
  ERR_MP_MANAGER_SHUT_DOWN: {
    class: 'MultiprocError',
    meaning: 'A SharedMemoryManager was used after `shutdown()`. Create a new one.',
  },
  ERR_MP_SL_ITEM_TOO_LARGE: {
    class: 'ShareableListError',
    meaning: "A ShareableList item does not fit its slot (a slot's size is fixed when the list is made); nothing was changed. Make the list with longer values in that slot.",
  },
  ERR_MP_SL_NOT_FOUND: {
    class: 'ShareableListError',
    meaning: '`ShareableList.index(value)` found no item equal to `value` (Python\'s ValueError).',
  },
  ERR_MP_SL_FORMAT: {
    class: 'ShareableListError',
    meaning: 'The segment is not a ShareableList, or holds a format a ShareableList never writes. Attach to a segment a ShareableList made.',
  },

  // Locks, semaphores, conditions, barriers and shared values.
  ERR_MP_LOCK_OWNER_DIED: {
    class: 'LockOwnerDiedError',
    meaning: 'The lock is held by a process that exited without releasing it (`pid`). Once the data it guards is known to be consistent, call `recover()`.',
  },
  ERR_MP_BROKEN_BARRIER: {
    class: 'BrokenBarrierError',
    meaning: 'The Barrier was broken: a party timed out, aborted or reset it, and every waiter gets this. Call `reset()` to use it again.',
  },
  ERR_MP_LOCK_NOT_OWNED: {
    class: 'SyncStateError',
    meaning: 'Releasing an unlocked Lock, an RLock this thread does not hold, or `Condition.wait`/`notify` without its lock. Release only what this thread acquired.',
  },
  ERR_MP_SEMAPHORE_OVERFLOW: {
    class: 'SyncStateError',
    meaning: 'A BoundedSemaphore was released more times than it was acquired. Pair every release with an acquire.',
  },
  ERR_MP_SYNC_CLOSED: {
    class: 'SyncStateError',
    meaning: 'The primitive or shared value handle was closed (a wait still pending on it gets this too). Do not use a handle after `close()`.',
  },
  ERR_MP_NO_LOCK: {
    class: 'SyncStateError',
    meaning: 'A shared value made without a lock (the raw forms, or `lock: false`) was asked for its lock. Make it with a lock.',
  },
  ERR_MP_SYNC_BAD_SEGMENT: {
    class: 'SyncSegmentError',
    meaning: 'A reference did not lead to a live primitive of the expected kind: its segment is gone, in another folder, or holds something else. Send the primitive itself, and keep its creator alive.',
  },
  ERR_MP_SYNC_TIMEOUT: {
    class: 'SyncTimeoutError',
    meaning: 'A guard (`using guard = await lock.guard({ timeout })`) could not take its lock in time; `acquire` returns false instead.',
  },

  // Queues and pipes.
  ERR_MP_QUEUE_FULL: {
    class: 'QueueFullError',
    meaning: "`put` found no room within its timeout, or `putNowait` at once (Python's queue.Full). Wait longer, or give the queue a larger `maxsize`.",
  },
  ERR_MP_QUEUE_EMPTY: {
    class: 'QueueEmptyError',
    meaning: "`get` or `recv` found nothing within its timeout, or `getNowait` at once (Python's queue.Empty).",
  },
  ERR_MP_QUEUE_CLOSED: {
    class: 'QueueStateError',
    meaning: 'The queue or connection handle was closed (a call still waiting on it gets this too). Do not use a handle after `close()`.',
  },
  ERR_MP_TASK_DONE_TOO_MANY: {
    class: 'QueueStateError',
    meaning: '`JoinableQueue.taskDone()` was called more times than items were put. Call it once per item taken.',
  },
  ERR_MP_PIPE_CLOSED: {
    class: 'QueueStateError',
    meaning: "Sending on a pipe whose other end is closed (a broken pipe), or using a one-way Pipe's end the wrong way.",
  },
  ERR_MP_PIPE_EOF: {
    class: 'PipeEofError',
    meaning: "The other end of the pipe was closed and everything it sent was received (Python's EOFError). Stop receiving.",
  },
  ERR_MP_QUEUE_SHUT_DOWN: {
    class: 'QueueShutDownError',
    meaning: "`put` on a queue that was shut down, or `get` on one shut down and empty (Python 3.13's queue.ShutDown). Stop using it.",
  },
  ERR_MP_BUFFER_TOO_SHORT: {
    class: 'BufferTooShortError',
    meaning: '`recvBytesInto` got a message longer than the room left in the buffer; the message is in `bytes`. Pass a larger buffer.',
  },

  // Connections: Listener, Client and SocketConnection (Python's multiprocessing.connection).
  ERR_MP_AUTHENTICATION: {
    class: 'AuthenticationError',
    meaning: "The handshake failed: the two sides have different `authkey`s, or the peer does not speak the handshake (a listener with no key, Python 3.11/3.12 given `b''`). Use the same key on both sides.",
  },
  ERR_MP_AUTHENTICATION_TIMEOUT: {
    class: 'AuthenticationError',
    meaning: 'The peer did not finish the handshake within `authTimeout` and was dropped. Check that it uses an authkey, or raise `authTimeout`.',
  },
  ERR_MP_CONNECTION_CLOSED: {
    class: 'ConnectionClosedError',
    meaning: 'A call on a connection after `close()`, or one waiting on it when it was closed. Do not use a connection after closing it.',
  },
  ERR_MP_LISTENER_CLOSED: {
    class: 'ConnectionClosedError',
    meaning: '`accept()` on a listener after `close()`, or waiting when it was closed. Accept before closing the listener.',
  },
  ERR_MP_CONNECTION_EOF: {
    class: 'ConnectionEofError',
    meaning: "The peer closed the connection and every message it sent was received (Python's EOFError). Stop receiving.",
  },
  ERR_MP_CONNECTION_TRUNCATED: {
    class: 'ConnectionEofError',
    meaning: 'The peer closed the connection in the middle of a message; the part received is dropped. The peer exited or closed while sending.',
  },
  ERR_MP_MESSAGE_TOO_LARGE: {
    class: 'MessageTooLargeError',
    meaning: 'A message longer than `maxMessageSize` (or than `recvBytes(maxlength)`) was announced; it was refused from its header and the connection closed. Raise the limit if the peer is trusted to send that much.',
  },
  ERR_MP_LISTEN_FAILED: {
    class: 'ConnectionFailedError',
    meaning: 'The listener could not bind or listen (address in use, a socket file already there, no permission); `cause` is the system error. Pick another address or remove the stale socket file.',
  },
  ERR_MP_CONNECTION_FAILED: {
    class: 'ConnectionFailedError',
    meaning: 'The client could not connect (refused, no such socket file); `cause` is the system error. Check that a listener is there.',
  },
  ERR_MP_CONNECTION_BROKEN: {
    class: 'ConnectionFailedError',
    meaning: 'The socket failed while open (reset by the peer, a write after the peer closed); `cause` is the system error. The connection is unusable: close it.',
  },
  ERR_MP_CONNECTION_TIMEOUT: {
    class: 'ConnectionTimeoutError',
    meaning: 'A `recv`, `accept` or `Client` call with a `timeout` got nothing in time; no message was lost. Call again, or raise the timeout.',
  },

  // The object store.
  ERR_MP_STORE_RELEASED: {
    class: 'StoreReleasedError',
    meaning: 'The object behind an ObjectRef was released (`ref.release()`, its store closed, or its pool closed), so its memory is gone. Keep the ref alive, and release it only once no task needs it.',
  },
  ERR_MP_STORE_CLOSED: {
    class: 'StoreClosedError',
    meaning: '`put()` on an ObjectStore that was closed (a closed pool says ERR_MP_POOL_CLOSED). Put objects before closing, or make a new store.',
  },
  ERR_MP_STORE_ARROW_MISSING: {
    class: 'StoreArrowError',
    meaning: 'A stored Arrow table or vector was read where the `apache-arrow` package cannot be loaded (it is resolved from where multiproc is installed). Install apache-arrow beside multiproc.',
  },

  // Processes and the native addon.
  ERR_MP_PROCESS_STATE: {
    class: 'ProcessStateError',
    meaning: 'A Process used out of turn: started twice, joined before start, closed while running. Follow start, join, close.',
  },
  ERR_MP_PROCESS_TARGET: {
    class: 'ProcessTargetError',
    meaning: 'The Process target cannot be sent to the child: it is not a task reference nor a function the codec knows by module and name. Export it from a module.',
  },
  ERR_MP_NATIVE_UNAVAILABLE: {
    class: 'NativeAddonError',
    meaning: "The native addon failed to build or was built for another Node version. Rebuild it with `npm run build:native` in the package's folder (needs g++, make and Node's headers); the message says more.",
  },

  // Pickle (Python's format).
  ERR_MP_PICKLE_TRUNCATED: {
    class: 'PickleTruncatedError',
    meaning: '`loads` met the end of the input before `STOP`, or a length or frame claiming more bytes than are left. Check the pickle arrived whole.',
  },
  ERR_MP_PICKLE_OPCODE: {
    class: 'PickleOpcodeError',
    meaning: '`loads` met a byte that is no pickle opcode, or a protocol above 5. The data is not a pickle, or is corrupt.',
  },
  ERR_MP_PICKLE_INVALID: {
    class: 'PickleFormatError',
    meaning: "`loads` met opcodes that do not make a value: no MARK where one is needed, an empty stack, an unknown memo key, invalid UTF-8, a Python 2 str that is not ASCII (load with `encoding: 'latin1'` or `'bytes'`).",
  },
  ERR_MP_PICKLE_GLOBAL: {
    class: 'PickleGlobalError',
    meaning: 'The pickle names a class or function (`module`, `qualname`) that is not on the allow-list. Register it with `registerPickleClass` or `registerPickleFunction`, or load with `unknownGlobals: \'keep\'`.',
  },
  ERR_MP_PICKLE_LIMIT: {
    class: 'PickleLimitError',
    meaning: 'A load or dump went past a limit (`limit` names the option: `maxDepth`, `maxMemo`, `maxLength`, `maxAllocation`, `maxIntDigits`). Raise it if the data is trusted.',
  },
  ERR_MP_PICKLE_UNSUPPORTED: {
    class: 'PickleUnsupportedError',
    meaning: '`dumps` got a value with no pickle form (a symbol, an unregistered class), or `loads` a persistent id, an extension code or an out-of-band buffer it was not given (`buffers`).',
  },
  ERR_MP_PYTHON_EXCEPTION: {
    class: 'PythonError',
    meaning: 'A Python exception loaded from a pickle (a value, not thrown by multiproc): `pythonClass`, `pythonArgs` and, from a pool, the remote `traceback` say what Python raised.',
  },
  ERR_MP_MANAGER_REMOTE: {
    class: 'ManagerRemoteError',
    meaning: "The manager server could not run the request and sent its traceback (`#TRACEBACK`, Python's RemoteError): an unknown typeid, ident or function, or a method not in the object's exposed list. `remoteTraceback` is the server's text.",
  },
  ERR_MP_MANAGER_UNSERIALIZABLE: {
    class: 'ManagerRemoteError',
    meaning: 'The method ran on the manager server but its result could not be pickled (`#UNSERIALIZABLE`); `remoteTraceback` says why. Return a value with a pickle form, or register the method in `methodToTypeid` to get a proxy.',
  },
  ERR_MP_MANAGER_PROTOCOL: {
    class: 'ManagerProtocolError',
    meaning: 'A manager peer sent something that is not the protocol: a reply of an unknown kind or shape, a `#PROXY` without a Token, a RebuildProxy with a proxy type other than AutoProxy. Check that both ends speak multiprocessing.managers.',
  },
  ERR_MP_PROXY_RELEASED: {
    class: 'ManagerStateError',
    meaning: 'A method was called on a proxy after `release()` (or the end of its `await using`). Create a new proxy.',
  },
  ERR_MP_MANAGER_STATE: {
    class: 'ManagerStateError',
    meaning: '`serveForever()` on a server that already serves or was shut down, or a request through a manager after `close()`. Make a new server or manager.',
  },
  ERR_MP_MANAGER_START_FAILED: {
    class: 'ManagerStartError',
    meaning: "`start()` could not bring the manager's server up in its child process: a registered callable or the initializer failed to import or threw, the address could not be listened on, or the child took longer than `timeout`. The message carries the child's reason.",
  },

  // The live dashboard.
  ERR_MP_DASHBOARD_LISTEN: {
    class: 'DashboardListenError',
    meaning: 'The dashboard could not listen on its address: the port is taken (by another program, or another dashboard) or the host is not an address of this machine; `cause` is the system error. Pick another `port` (0 takes a free one) or `host`.',
  },
  ERR_MP_DASHBOARD_LINK: {
    class: 'DashboardLinkError',
    meaning: 'A pool could not link to the dashboard at the URL given (`connect`, `MULTIPROC_DASHBOARD`): nothing answers there, it is not a multiproc dashboard, or it refused the token. Start `multiproc dashboard` first and pass the whole URL it printed, token included.',
  },
} as const satisfies Record<`ERR_MP_${string}`, ErrorCodeEntry>;

/** Every code a `MultiprocError` may carry: a misspelled code is a compile error. */
export type ErrorCode = keyof typeof errorCodes;

/** The codes the class named `Name` raises, as the catalogue lists them. */
export type ErrorCodeOf<Name extends string> = { [Code in ErrorCode]: (typeof errorCodes)[Code]['class'] extends Name ? Code : never }[ErrorCode];
