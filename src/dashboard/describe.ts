// Task arguments and errors as short text for the page: built only for what the page keeps (the slowest
// tasks, the last errors), cut to a bound, and never markup (the page sets it as text).
import type { ErrorText } from './view.js';

const maxArgsChars = 200;
const maxMessageChars = 2_000;
const maxStackChars = 8_000;

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** One value, shallowly: enough to recognise an argument, never a walk of a large structure. */
function short(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > maxArgsChars ? `${value.slice(0, maxArgsChars)}…` : value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return `[function ${value.name || 'anonymous'}]`;
    default:
      break;
  }
  if (value === null || value === undefined) return String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${'length' in value ? String(value.length) : value.byteLength})`;
  if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)) return `${value.constructor.name}(${value.byteLength})`;
  if (depth > 1) return Array.isArray(value) ? `[…${value.length}]` : '{…}';
  if (Array.isArray(value)) {
    const head = value.slice(0, 8).map((item) => short(item, depth + 1));
    return `[${head.join(', ')}${value.length > 8 ? `, …${value.length - 8} more` : ''}]`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  const name = proto === Object.prototype || proto === null ? '' : `${(value as { constructor?: { name?: string } }).constructor?.name ?? 'Object'} `;
  const keys = Object.keys(value).slice(0, 8);
  return `${name}{${keys.map((key) => `${key}: ${short((value as Record<string, unknown>)[key], depth + 1)}`).join(', ')}}`;
}

/**
 * A call's arguments or a chunk's items, as at most a couple of hundred characters: only as many of them as
 * fill that are described (a chunk of a map may hold tens of thousands).
 */
export function argsText(args: readonly unknown[] | undefined): string {
  if (args === undefined) return '';
  try {
    let text = '';
    for (let i = 0; i < args.length && text.length <= maxArgsChars; i++) text += (i === 0 ? '' : ', ') + short(args[i], 0);
    return cut(text, maxArgsChars);
  } catch {
    // A getter or a proxy that throws: the page says so rather than losing the entry.
    return '[arguments that cannot be shown]';
  }
}

function field(value: unknown, key: string): unknown {
  try {
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An error as text. A task's error carries the worker-side error as its `cause` (and that one its own
 * causes): their stacks follow, as Node prints them, so the remote stack is what the page shows under it.
 */
export function errorText(error: unknown, stack?: string): ErrorText {
  const name = field(error, 'name');
  const code = field(error, 'code');
  const message = field(error, 'message');
  let text = stack ?? (typeof field(error, 'stack') === 'string' ? (field(error, 'stack') as string) : undefined) ?? String(message ?? error);
  let cause = field(error, 'cause');
  for (let depth = 0; cause !== undefined && depth < 4; depth++) {
    const causeStack = field(cause, 'stack');
    const causeText = typeof causeStack === 'string' ? causeStack : safeString(cause);
    // A decoded worker error may carry the stack it was given as its cause too: shown once.
    if (!text.includes(causeText)) text += `\n[cause] ${causeText}`;
    cause = field(cause, 'cause');
  }
  return {
    name: typeof name === 'string' ? name : typeof error,
    code: typeof code === 'string' ? code : undefined,
    message: cut(typeof message === 'string' ? message : safeString(error), maxMessageChars),
    stack: cut(text, maxStackChars),
  };
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'object' && value !== null ? short(value, 0) : String(value);
  } catch {
    return '[a value that cannot be shown]';
  }
}
