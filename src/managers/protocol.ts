// The manager wire messages: a request (ident, funcname, args, kwds) and a reply (kind, payload), one pickle a frame.
import { PythonError } from '../pickle/python-error.js';
import { tuple, type Tuple } from '../pickle/types.js';
import { ManagerProtocolError } from './errors.js';

export type ReplyKind = '#RETURN' | '#ERROR' | '#TRACEBACK' | '#PROXY' | '#UNSERIALIZABLE';

/** The server's functions a one-shot connection may ask for (Python's `Server.public`). */
export const publicFunctions: ReadonlySet<string> = new Set([
  'shutdown',
  'create',
  'accept_connection',
  'get_methods',
  'debug_info',
  'number_of_objects',
  'dummy',
  'incref',
  'decref',
]);

export interface Request {
  ident: unknown;
  funcname: string;
  args: readonly unknown[];
  kwds: ReadonlyMap<unknown, unknown>;
}

export function request(ident: string | null, funcname: string, args: readonly unknown[] = [], kwds: ReadonlyMap<unknown, unknown> = new Map()): Tuple {
  return tuple(ident, funcname, tuple(...args), new Map(kwds));
}

/** A loaded request checked for its shape: a 4-tuple with a str funcname, a tuple of args and a dict of kwds. */
export function parseRequest(value: unknown): Request {
  if (!Array.isArray(value) || value.length !== 4) throw new PythonError('builtins', 'ValueError', ['a request is a (ident, funcname, args, kwds) tuple']);
  const [ident, funcname, args, kwds] = value as unknown[];
  if (typeof funcname !== 'string') throw new PythonError('builtins', 'TypeError', ['the funcname of a request is not a str']);
  if (!Array.isArray(args)) throw new PythonError('builtins', 'TypeError', ['the args of a request are not a tuple']);
  // A dict loads as a plain object when the server's loadOptions ask for that.
  const isObject = typeof kwds === 'object' && kwds !== null && Object.getPrototypeOf(kwds) === Object.prototype;
  if (!(kwds instanceof Map) && !isObject) throw new PythonError('builtins', 'TypeError', ['the kwds of a request are not a dict']);
  return { ident, funcname, args, kwds: kwds instanceof Map ? kwds : new Map(Object.entries(kwds as Record<string, unknown>)) };
}

export function reply(kind: ReplyKind, payload: unknown): Tuple {
  return tuple(kind, payload);
}

/** A loaded reply checked for its shape. */
export function parseReply(value: unknown): [kind: string, payload: unknown] {
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string') throw new ManagerProtocolError('the server sent a reply that is not a (kind, payload) pair');
  return [value[0], value[1]];
}

/** A traceback text as a Python client shows it in RemoteError: the last line is `Class: message`. */
export function tracebackText(where: string, pythonClass: string, message: string): string {
  return `Traceback (most recent call last):\n  in the multiproc manager server, ${where}\n${pythonClass}: ${message}\n`;
}

/** Python's repr of a str, enough for the names that appear in these messages. */
export function pyRepr(value: unknown): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return '<object>';
}
