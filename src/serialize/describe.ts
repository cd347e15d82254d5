// Messages for values that cannot travel, in the spirit of pickle's "Can't pickle local object".
import type { CodecRegistry } from './registry.js';

function sourceOf(fn: unknown): string {
  const text = Function.prototype.toString.call(fn).replace(/\s+/g, ' ');
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isClass(fn: unknown): boolean {
  return /^class\b/.test(Function.prototype.toString.call(fn));
}

const registerHint = 'only exported functions travel (by module URL and export name)';

/** Why a function, symbol or built-in object cannot be encoded, and what to do instead. */
export function describeUnencodable(value: unknown): string {
  if (typeof value === 'symbol') {
    return `Cannot serialize ${String(value)}: symbols cannot cross threads or processes; send a string instead`;
  }
  if (typeof value === 'function') {
    const name = value.name;
    if (isClass(value)) {
      return `Cannot serialize class \`${name || '(anonymous)'}\`: it is not registered. Export it and call ` +
        `registerClass(${name || 'TheClass'}, import.meta.url) in the module that defines it`;
    }
    const arrow = /^(async\s*)?(\([^)]*\)|[\w$]+)\s*=>/.test(Function.prototype.toString.call(value));
    if (name === '' || name === 'anonymous' || arrow) {
      const what = name === '' || name === 'anonymous' ? 'local function (an anonymous closure)' : `arrow function \`${name}\``;
      return `Cannot serialize ${what} \`${sourceOf(value)}\`: ${registerHint}. Move it to module level, export it, ` +
        `and call registerFunction(${name || 'fn'}, import.meta.url) there, or pass it as a task of a task module`;
    }
    return `Cannot serialize function \`${name}\`: it is not registered, and ${registerHint}. ` +
      `Export it from its module and call registerFunction(${name.replace(/^bound /, '')}, import.meta.url) there ` +
      `(a function local to another function cannot travel)`;
  }
  if (typeof value === 'object' && value !== null) {
    const name = (value.constructor as { name?: string } | undefined)?.name ?? 'object';
    return `Cannot serialize a \`${name}\` object: it is a built-in that cannot be copied to another thread or process`;
  }
  return `Cannot serialize a value of type ${typeof value}`;
}

/** Why an instance of an unregistered class cannot be encoded, naming the class and the fix. */
export function describeUnregistered(value: object, registry: CodecRegistry): string {
  const ctor = value.constructor as (abstract new () => unknown) | undefined;
  const name = ctor?.name || '(anonymous class)';
  let base = '';
  for (let proto: unknown = Object.getPrototypeOf(Object.getPrototypeOf(value)); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const entry = registry.classOf((proto as { constructor: unknown }).constructor);
    if (entry !== undefined) {
      base = ` (its base class \`${entry.name}\` is registered, but each subclass needs its own registration)`;
      break;
    }
  }
  return `Cannot serialize an instance of class \`${name}\`: the class is not registered${base}. Export it and call ` +
    `registerClass(${name}, import.meta.url), or decorate it with @serializable(import.meta.url), in the module that defines it`;
}

/** Whether `ctor` is a global built-in (WeakMap, Promise...), which no registration can make travel. */
export function isBuiltinConstructor(ctor: unknown): boolean {
  return typeof ctor === 'function' && ctor.name !== '' && (globalThis as Record<string, unknown>)[ctor.name] === ctor;
}
