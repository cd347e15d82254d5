// The synchronization objects a SyncManager serves, as Python's threading ones behave: Lock, RLock, Semaphore,
// BoundedSemaphore, Condition, Event and Barrier, owned per client connection.
import { PythonError } from '../../pickle/python-error.js';
import { registerPickleFunction } from '../../pickle/registry.js';
import { callSignal } from '../call-context.js';
import { keywordParameters } from '../served.js';
import { timeoutSeconds, truthy, WaitLine } from './wait-line.js';

/** Calls made in this process, outside any server call, share one owner. */
const localOwner: object = Object.freeze({});

/**
 * Who is calling: the connection the call came on (its signal is one per `accept_connection` channel), as a Python
 * server runs each client connection in a thread of its own and threading's locks are owned per thread.
 */
function caller(): object {
  return callSignal() ?? localOwner;
}

function runtimeError(message: string): PythonError {
  return new PythonError('builtins', 'RuntimeError', [message]);
}

function valueError(message: string): PythonError {
  return new PythonError('builtins', 'ValueError', [message]);
}

/** threading.BrokenBarrierError, readable by a TypeScript client too. */
export function brokenBarrierError(): PythonError {
  return new PythonError('threading', 'BrokenBarrierError');
}

registerPickleFunction('threading', 'BrokenBarrierError', (...args: unknown[]) => new PythonError('threading', 'BrokenBarrierError', args));

/** `_thread.lock.acquire(blocking, timeout)`'s checks: the seconds to wait, null for ever, 0 for not at all. */
function lockTimeout(blocking: unknown, timeout: unknown): number | null {
  const seconds = timeoutSeconds(timeout);
  const wait = truthy(blocking);
  if (!wait && seconds !== null && seconds !== -1) throw valueError("can't specify a timeout for a non-blocking call");
  if (seconds !== null && seconds < 0 && seconds !== -1) throw valueError('timeout value must be a non-negative number');
  if (!wait) return 0;
  return seconds === null || seconds === -1 ? null : seconds;
}

/** `threading.Semaphore.acquire(blocking, timeout)`'s checks. */
function semaphoreTimeout(blocking: unknown, timeout: unknown): number | null {
  const seconds = timeoutSeconds(timeout);
  if (!truthy(blocking)) {
    if (seconds !== null) throw valueError("can't specify timeout for non-blocking acquire");
    return 0;
  }
  return seconds;
}

/** Python's `threading.Lock`: not owned, so any client may release it; `acquire` returns whether it got it. */
export class ServedLock {
  static readonly [keywordParameters] = { acquire: ['blocking', 'timeout'] };
  readonly #line = new WaitLine();
  #locked = false;

  readonly #claim = (): boolean => {
    if (this.#locked) return false;
    this.#locked = true;
    return true;
  };

  acquire(blocking: unknown = true, timeout: unknown = -1): Promise<boolean> | boolean {
    const seconds = lockTimeout(blocking, timeout);
    if (this.#claim()) return true;
    return seconds === 0 ? false : this.#line.wait(this.#claim, seconds);
  }

  release(): void {
    if (!this.#locked) throw runtimeError('release unlocked lock');
    this.#locked = false;
    this.#line.wake();
  }

  locked(): boolean {
    return this.#locked;
  }

  toString(): string {
    return `<unlocked _thread.lock object>`.replace('unlocked', this.#locked ? 'locked' : 'unlocked');
  }
}

/** Python's `threading.RLock`: owned by the connection that acquired it, re-entrant there. */
export class ServedRLock {
  static readonly [keywordParameters] = { acquire: ['blocking', 'timeout'] };
  readonly #line = new WaitLine();
  #owner: object | null = null;
  #count = 0;

  #claimFor(owner: object): () => boolean {
    return () => {
      if (this.#owner === owner) {
        this.#count++;
        return true;
      }
      if (this.#owner !== null) return false;
      this.#owner = owner;
      this.#count = 1;
      return true;
    };
  }

  acquire(blocking: unknown = true, timeout: unknown = -1): Promise<boolean> | boolean {
    const seconds = lockTimeout(blocking, timeout);
    const claim = this.#claimFor(caller());
    if (claim()) return true;
    return seconds === 0 ? false : this.#line.wait(claim, seconds);
  }

  release(): void {
    if (this.#owner !== caller()) throw runtimeError('cannot release un-acquired lock');
    if (--this.#count === 0) {
      this.#owner = null;
      this.#line.wake();
    }
  }

  /** @internal Condition's: whether the caller holds it. */
  isOwned(): boolean {
    return this.#owner === caller();
  }

  /** @internal Condition's: lets go entirely, giving back the recursion count to restore. */
  releaseAll(): number {
    const count = this.#count;
    this.#owner = null;
    this.#count = 0;
    this.#line.wake();
    return count;
  }

  /** @internal Condition's: takes it again with the count `releaseAll` gave. */
  async restore(count: number): Promise<void> {
    const owner = caller();
    const claim = (): boolean => {
      if (this.#owner !== null) return false;
      this.#owner = owner;
      this.#count = count;
      return true;
    };
    if (!claim()) await this.#line.wait(claim, null);
  }

  toString(): string {
    return `<${this.#owner === null ? 'unlocked' : 'locked'} _thread.RLock object owner=${this.#owner === null ? 0 : 1} count=${this.#count}>`;
  }
}

/** Python's `threading.Semaphore(value)`. */
export class ServedSemaphore {
  static readonly [keywordParameters] = { acquire: ['blocking', 'timeout'], release: ['n'] };
  protected readonly line = new WaitLine();
  protected value: number;

  constructor(value: unknown = 1) {
    const initial = typeof value === 'bigint' ? Number(value) : value;
    if (typeof initial !== 'number' || !Number.isInteger(initial)) throw new PythonError('builtins', 'TypeError', ['the semaphore value must be an integer']);
    if (initial < 0) throw valueError('semaphore initial value must be >= 0');
    this.value = initial;
  }

  readonly #claim = (): boolean => {
    if (this.value <= 0) return false;
    this.value--;
    return true;
  };

  acquire(blocking: unknown = true, timeout: unknown = null): Promise<boolean> | boolean {
    const seconds = semaphoreTimeout(blocking, timeout);
    if (this.#claim()) return true;
    return seconds === 0 ? false : this.line.wait(this.#claim, seconds);
  }

  release(n: unknown = 1): void {
    const count = typeof n === 'bigint' ? Number(n) : n;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) throw valueError('n must be one or more');
    this.value += count;
    this.line.wake(count);
  }

  toString(): string {
    return `<threading.Semaphore: value=${this.value}>`;
  }
}

/** Python's `threading.BoundedSemaphore(value)`: releasing past the initial value is a ValueError. */
export class ServedBoundedSemaphore extends ServedSemaphore {
  readonly #initial: number;

  constructor(value: unknown = 1) {
    super(value);
    this.#initial = this.value;
  }

  override release(n: unknown = 1): void {
    const count = typeof n === 'bigint' ? Number(n) : n;
    if (typeof count === 'number' && this.value + count > this.#initial) throw valueError('Semaphore released too many times');
    super.release(n);
  }

  override toString(): string {
    return `<threading.BoundedSemaphore: value=${this.value}/${this.#initial}>`;
  }
}

interface Sleeper {
  notified: boolean;
  readonly line: WaitLine;
}

/** Python's `threading.Condition()` on its own RLock: `wait`, `notify(n)` and `notify_all` by the connection holding it. */
export class ServedCondition {
  static readonly [keywordParameters] = { acquire: ['blocking', 'timeout'], wait: ['timeout'], notify: ['n'] };
  readonly #lock = new ServedRLock();
  readonly #sleepers: Sleeper[] = [];

  acquire(blocking: unknown = true, timeout: unknown = -1): Promise<boolean> | boolean {
    return this.#lock.acquire(blocking, timeout);
  }

  release(): void {
    this.#lock.release();
  }

  async wait(timeout: unknown = null): Promise<boolean> {
    const seconds = timeoutSeconds(timeout);
    if (!this.#lock.isOwned()) throw runtimeError('cannot wait on un-acquired lock');
    const sleeper: Sleeper = { notified: false, line: new WaitLine() };
    this.#sleepers.push(sleeper);
    const count = this.#lock.releaseAll();
    try {
      await sleeper.line.wait(() => sleeper.notified, seconds);
    } finally {
      const at = this.#sleepers.indexOf(sleeper);
      if (at >= 0) this.#sleepers.splice(at, 1);
    }
    await this.#lock.restore(count);
    return sleeper.notified;
  }

  notify(n: unknown = 1): void {
    if (!this.#lock.isOwned()) throw runtimeError('cannot notify on un-acquired lock');
    const count = typeof n === 'bigint' ? Number(n) : Number(n);
    for (const sleeper of this.#sleepers.splice(0, Math.max(0, count))) {
      sleeper.notified = true;
      sleeper.line.wakeAll();
    }
  }

  notify_all(): void {
    this.notify(this.#sleepers.length);
  }

  toString(): string {
    return `<Condition(${this.#lock.toString()}, ${this.#sleepers.length})>`;
  }
}

/** Python's `threading.Event`. */
export class ServedEvent {
  static readonly [keywordParameters] = { wait: ['timeout'] };
  readonly #line = new WaitLine();
  #flag = false;

  is_set(): boolean {
    return this.#flag;
  }

  set(): void {
    this.#flag = true;
    this.#line.wakeAll();
  }

  clear(): void {
    this.#flag = false;
  }

  async wait(timeout: unknown = null): Promise<boolean> {
    const seconds = timeoutSeconds(timeout);
    if (this.#flag) return true;
    return this.#line.wait(() => this.#flag, seconds);
  }

  toString(): string {
    return `<threading.Event: ${this.#flag ? 'set' : 'unset'}>`;
  }
}

type BarrierState = 'filling' | 'draining' | 'resetting' | 'broken';

/** Python's `threading.Barrier(parties, action=None, timeout=None)` (an action cannot travel, so there is none). */
export class ServedBarrier {
  static readonly [keywordParameters] = { wait: ['timeout'] };
  readonly #line = new WaitLine();
  readonly #parties: number;
  readonly #timeout: number | null;
  #state: BarrierState = 'filling';
  #count = 0;

  constructor(parties: unknown, action: unknown = null, timeout: unknown = null) {
    const n = typeof parties === 'bigint' ? Number(parties) : parties;
    if (typeof n !== 'number' || !Number.isInteger(n)) throw new PythonError('builtins', 'TypeError', ['parties must be an integer']);
    if (n < 1) throw valueError('parties must be >= 1');
    if (action !== null && action !== undefined) throw new PythonError('builtins', 'TypeError', ['a served Barrier takes no action']);
    this.#parties = n;
    this.#timeout = timeoutSeconds(timeout);
  }

  async wait(timeout: unknown = null): Promise<number> {
    const seconds = timeout === null || timeout === undefined ? this.#timeout : timeoutSeconds(timeout);
    await this.#line.wait(() => this.#state !== 'draining' && this.#state !== 'resetting', null);
    if (this.#state === 'broken') throw brokenBarrierError();
    const index = this.#count++;
    try {
      if (index + 1 === this.#parties) {
        this.#state = 'draining';
        this.#line.wakeAll();
      } else {
        const passed = await this.#line.wait(() => this.#state !== 'filling', seconds);
        if (!passed) {
          this.#break();
          throw brokenBarrierError();
        }
        // Read again: the state changed while this party waited.
        const state = this.#state as BarrierState;
        if (state === 'broken' || state === 'resetting') throw brokenBarrierError();
      }
      return index;
    } catch (error) {
      // A waiter whose client went away breaks the barrier, as a thread interrupted in wait() does in Python.
      if (!(error instanceof PythonError)) this.#break();
      throw error;
    } finally {
      if (--this.#count === 0 && (this.#state === 'resetting' || this.#state === 'draining')) {
        this.#state = 'filling';
        this.#line.wakeAll();
      }
    }
  }

  abort(): void {
    this.#break();
  }

  reset(): void {
    if (this.#count > 0) {
      if (this.#state === 'filling' || this.#state === 'broken') this.#state = 'resetting';
    } else {
      this.#state = 'filling';
    }
    this.#line.wakeAll();
  }

  __getattribute__(name: unknown): unknown {
    switch (name) {
      case 'parties':
        return this.#parties;
      case 'n_waiting':
        return this.#state === 'filling' ? this.#count : 0;
      case 'broken':
        return this.#state === 'broken';
      default:
        throw new PythonError('builtins', 'AttributeError', [`'Barrier' object has no attribute ${typeof name === 'string' ? `'${name}'` : String(name)}`]);
    }
  }

  #break(): void {
    this.#state = 'broken';
    this.#line.wakeAll();
  }

  toString(): string {
    return `<threading.Barrier: waiters=${this.#state === 'filling' ? this.#count : 0}/${this.#parties}>`;
  }
}
