// Locks, semaphores, events, conditions, barriers, shared values and ShareableLists travel by reference:
// the segment's name and where the primitive's words are in it; the receiver attaches to the same memory.
import { RawArray, SharedArray } from '../sharedctypes/array.js';
import { ShareableList } from '../sharedctypes/shareable-list.js';
import type { CtypeRef } from '../sharedctypes/shared-ctype.js';
import { RawValue, Value } from '../sharedctypes/value.js';
import { Barrier } from '../sync/barrier.js';
import { Condition, type ConditionRef } from '../sync/condition.js';
import { Event } from '../sync/event.js';
import { Lock } from '../sync/lock.js';
import type { PrimitiveRef } from '../sync/primitive.js';
import { RLock } from '../sync/rlock.js';
import { BoundedSemaphore, Semaphore } from '../sync/semaphore.js';
import type { HandleSpec } from './registry.js';

function spec<T extends { toRef(): unknown }, R>(name: string, type: HandleSpec<T>['type'], fromRef: (ref: R) => T): HandleSpec<T> {
  return { name, type, toRef: (value) => value.toRef(), fromRef: (ref) => fromRef(ref as R) };
}

/** In matching order: a subclass before its base class. */
export const syncHandles: HandleSpec<unknown>[] = [
  spec('multiproc.Lock', Lock, (ref: PrimitiveRef) => Lock.fromRef(ref)),
  spec('multiproc.RLock', RLock, (ref: PrimitiveRef) => RLock.fromRef(ref)),
  spec('multiproc.BoundedSemaphore', BoundedSemaphore, (ref: PrimitiveRef) => BoundedSemaphore.fromRef(ref)),
  spec('multiproc.Semaphore', Semaphore, (ref: PrimitiveRef) => Semaphore.fromRef(ref)),
  spec('multiproc.Event', Event, (ref: PrimitiveRef) => Event.fromRef(ref)),
  spec('multiproc.Condition', Condition, (ref: ConditionRef) => Condition.fromRef(ref)),
  spec('multiproc.Barrier', Barrier, (ref: PrimitiveRef) => Barrier.fromRef(ref)),
  spec('multiproc.Value', Value, (ref: CtypeRef) => Value.fromRef(ref)),
  spec('multiproc.RawValue', RawValue, (ref: CtypeRef) => RawValue.fromRef(ref)),
  spec('multiproc.Array', SharedArray, (ref: CtypeRef) => SharedArray.fromRef(ref)),
  spec('multiproc.RawArray', RawArray, (ref: CtypeRef) => RawArray.fromRef(ref)),
  {
    name: 'multiproc.ShareableList',
    type: ShareableList,
    toRef: (list: ShareableList) => ({ name: list.shm.name }),
    fromRef: (ref: unknown) => ShareableList.attach((ref as { name: string }).name),
  },
] as HandleSpec<unknown>[];
