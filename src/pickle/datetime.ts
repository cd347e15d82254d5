// The `datetime` module's values: their fields, and the byte states their reduce forms carry.
import { PickleFormatError } from './errors.js';

/** A `datetime.timedelta`, in Python's normalized form (0 <= seconds < 86400, 0 <= microseconds < 1e6). */
export class Timedelta {
  constructor(
    readonly days: number,
    readonly seconds = 0,
    readonly microseconds = 0,
  ) {}

  /** The length in milliseconds (fractions of a millisecond kept as a fraction). */
  toMilliseconds(): number {
    return this.days * 86_400_000 + this.seconds * 1000 + this.microseconds / 1000;
  }
}

/** A `datetime.timezone`: a fixed offset from UTC, with the name it was given if any. */
export class Timezone {
  constructor(
    readonly offset: Timedelta,
    readonly name?: string,
  ) {}

  static readonly utc = new Timezone(new Timedelta(0));
}

/** A `datetime.date`. */
export class PyDate {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
  ) {}
}

/** A `datetime.time`; `tzinfo` is a Timezone or whatever object the pickle named (kept with `unknownGlobals: 'keep'`). */
export class PyTime {
  constructor(
    readonly hour = 0,
    readonly minute = 0,
    readonly second = 0,
    readonly microsecond = 0,
    readonly tzinfo: unknown = null,
    readonly fold: 0 | 1 = 0,
  ) {}
}

/** A `datetime.datetime`. A JavaScript Date pickles as one in UTC (`PyDateTime.fromDate`). */
export class PyDateTime {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
    readonly hour = 0,
    readonly minute = 0,
    readonly second = 0,
    readonly microsecond = 0,
    readonly tzinfo: unknown = null,
    readonly fold: 0 | 1 = 0,
  ) {}

  /** The same instant, in UTC, to the millisecond. */
  static fromDate(date: Date): PyDateTime {
    const ms = date.getTime();
    if (!Number.isFinite(ms)) throw new RangeError('an invalid Date has no datetime form');
    return new PyDateTime(
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
      date.getUTCMilliseconds() * 1000,
      Timezone.utc,
    );
  }

  /** A Date for this instant (microseconds cut to milliseconds); a naive datetime is read as UTC. */
  toDate(): Date {
    const utc = Date.UTC(this.year, this.month - 1, this.day, this.hour, this.minute, this.second, Math.floor(this.microsecond / 1000));
    const offset = this.tzinfo instanceof Timezone ? this.tzinfo.offset.toMilliseconds() : 0;
    const date = new Date(utc - offset);
    if (this.year < 100) date.setUTCFullYear(this.year); // Date.UTC maps years 0-99 to 1900-1999
    return date;
  }
}

function stateBytes(state: unknown, size: number, what: string): Uint8Array {
  // Python 2 pickles carry the state as a latin-1 str.
  if (typeof state === 'string' && state.length === size) {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = state.charCodeAt(i) & 0xff;
    return bytes;
  }
  if (!(state instanceof Uint8Array) || state.length !== size) throw new PickleFormatError(`a ${what} state must be ${size} bytes`);
  return state;
}

export function dateFromState(args: readonly unknown[]): PyDate {
  const b = stateBytes(args[0], 4, 'datetime.date');
  return new PyDate(b[0]! * 256 + b[1]!, b[2]!, b[3]!);
}

export function dateToState(date: PyDate): Uint8Array {
  return Uint8Array.of(date.year >> 8, date.year & 0xff, date.month, date.day);
}

export function timeFromState(args: readonly unknown[]): PyTime {
  const b = stateBytes(args[0], 6, 'datetime.time');
  const fold = b[0]! > 127 ? 1 : 0;
  return new PyTime(b[0]! & 0x7f, b[1], b[2], (b[3]! << 16) | (b[4]! << 8) | b[5]!, args[1] ?? null, fold);
}

export function timeToState(time: PyTime, protocol: number): Uint8Array {
  const us = time.microsecond;
  const hour = time.hour | (time.fold === 1 && protocol > 3 ? 128 : 0);
  return Uint8Array.of(hour, time.minute, time.second, (us >> 16) & 0xff, (us >> 8) & 0xff, us & 0xff);
}

export function dateTimeFromState(args: readonly unknown[]): PyDateTime {
  const b = stateBytes(args[0], 10, 'datetime.datetime');
  const fold = b[2]! > 127 ? 1 : 0;
  const us = (b[7]! << 16) | (b[8]! << 8) | b[9]!;
  return new PyDateTime(b[0]! * 256 + b[1]!, b[2]! & 0x7f, b[3]!, b[4], b[5], b[6], us, args[1] ?? null, fold);
}

export function dateTimeToState(dt: PyDateTime, protocol: number): Uint8Array {
  const us = dt.microsecond;
  const month = dt.month | (dt.fold === 1 && protocol > 3 ? 128 : 0);
  return Uint8Array.of(dt.year >> 8, dt.year & 0xff, month, dt.day, dt.hour, dt.minute, dt.second, (us >> 16) & 0xff, (us >> 8) & 0xff, us & 0xff);
}
