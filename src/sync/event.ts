// Event: Python's multiprocessing.Event, a shared flag that waiters in any process sleep on until it is set.
import { futexWake } from '../native/futex.js';
import { attachPlacement, ownRegion, SharedPrimitive, type Placement, type PrimitiveRef } from './primitive.js';
import { Kind } from './region.js';
import { checkSignal, deadlineOf, driveSync, left, type WaitOptions, type WaitSteps } from './wait.js';
import { refHandle, registerBuiltinHandle } from '../serialize/builtin-handles.js';

function* flagWaiting(i32: Int32Array, index: number, deadline: number): WaitSteps<boolean> {
  for (;;) {
    if (Atomics.load(i32, index) === 1) return true;
    const ms = left(deadline);
    if (ms === 0) return false;
    yield { i32, index, value: 0, ms };
  }
}

export class Event extends SharedPrimitive {
  constructor(placement?: Placement) {
    super(placement ?? ownRegion(Kind.Event, 4));
  }

  static fromRef(ref: PrimitiveRef): Event {
    return new Event(attachPlacement(ref, [Kind.Event]));
  }

  isSet(): boolean {
    return Atomics.load(this.i32, this.at) === 1;
  }

  protected override inspectState(): string {
    return `Event ${this.isSet() ? 'set' : 'unset'}`;
  }

  /** Sets the flag and wakes every waiter, in every process. */
  set(): void {
    const i32 = this.i32;
    if (Atomics.exchange(i32, this.at, 1) === 0) futexWake(i32, this.at);
  }

  clear(): void {
    Atomics.store(this.i32, this.at, 0);
  }

  /** Resolves true once the flag is set, false after `timeout` ms (Python's `wait(timeout)`). */
  async wait(options?: WaitOptions): Promise<boolean> {
    const i32 = this.i32;
    const deadline = deadlineOf(options);
    checkSignal(options?.signal);
    if (Atomics.load(i32, this.at) === 1) return true;
    return this.pendingWait(flagWaiting(i32, this.at, deadline), options?.signal);
  }

  waitSync(options?: Omit<WaitOptions, 'signal'>): boolean {
    return driveSync(flagWaiting(this.i32, this.at, deadlineOf(options)));
  }
}

registerBuiltinHandle(refHandle('multiproc.Event', Event, (ref: PrimitiveRef) => Event.fromRef(ref)));
