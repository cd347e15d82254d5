// multiproc's own handle types (SharedMemory, locks, shared values...): each registers itself when its class
// module loads, and a receiver that has not loaded it yet learns here which module to import.
import { handleModuleUrl } from '../runtime-files.js';
import { registry, type HandleSpec } from './registry.js';

/**
 * Wire name -> the module whose loading registers that handle type. An instance cannot exist before its
 * class module ran, so a sender has always registered what it sends; only a receiver may lack it, and
 * `decode` imports the module then. Keeping the codec free of static imports of these modules keeps shared
 * memory, the tracker client and the sync primitives out of every worker that never sees a handle.
 */
const modules: Readonly<Record<string, string>> = {
  SharedMemory: 'shm/shared-memory.js',
  'multiproc.Lock': 'sync/lock.js',
  'multiproc.RLock': 'sync/rlock.js',
  'multiproc.Semaphore': 'sync/semaphore.js',
  'multiproc.BoundedSemaphore': 'sync/semaphore.js',
  'multiproc.Event': 'sync/event.js',
  'multiproc.Condition': 'sync/condition.js',
  'multiproc.Barrier': 'sync/barrier.js',
  'multiproc.Value': 'sharedctypes/value.js',
  'multiproc.RawValue': 'sharedctypes/value.js',
  'multiproc.Array': 'sharedctypes/array.js',
  'multiproc.RawArray': 'sharedctypes/array.js',
  'multiproc.ShareableList': 'shm/shareable-list.js',
  'multiproc.Queue': 'queue/queue-kinds.js',
  'multiproc.Connection': 'queue/pipe.js',
  'multiproc.ObjectRef': 'store/object-ref.js',
  'multiproc.ObjectRef.value': 'store/object-ref.js',
  'multiproc.store.Slot': 'store/layout.js',
  'multiproc.ManagerProxy': 'managers/sync/helper-owner.js',
};

/** The module URL that registers the built-in handle type `name`, if it is one. */
export function builtinHandleModule(name: string): string | undefined {
  const file = Object.hasOwn(modules, name) ? modules[name] : undefined;
  return file === undefined ? undefined : handleModuleUrl(file).href;
}

/** Whether `moduleUrl` is one of the modules above (imported for its registration, not its exports). */
export function isBuiltinHandleModule(moduleUrl: string): boolean {
  return Object.values(modules).some((file) => handleModuleUrl(file).href === moduleUrl);
}

/**
 * Registers a built-in handle type from its class module. A spec of the same name the application
 * registered before the module loaded is kept: registering replaces, loading late must not.
 */
export function registerBuiltinHandle<T>(spec: HandleSpec<T>): void {
  if (registry.lookupHandle(spec.name) === undefined) registry.registerHandle(spec);
}

/** The spec of a handle whose class has `toRef()` and a static `fromRef(ref)`. */
export function refHandle<T extends { toRef(): unknown }, R>(name: string, type: HandleSpec<T>['type'], fromRef: (ref: R) => T): HandleSpec<T> {
  return { name, type, toRef: (value) => value.toRef(), fromRef: (ref) => fromRef(ref as R) };
}
