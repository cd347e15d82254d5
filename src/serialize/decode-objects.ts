// Reading the values that carry a class reference: instances (with the reduce protocol), errors, handles.
import { builtinHandleModule } from './builtin-handles.js';
import { corrupt, DecodeError } from './errors.js';
import type { ClassEntry, CodecRegistry } from './registry.js';
import { ClassMode, errorKinds, registeredErrorKind, Tag } from './wire.js';

/** The decoder's primitives, as these readers see them. */
export interface Reader {
  read(): unknown;
  byte(): number;
  string(): string;
  /** Takes the next object index before the object exists (it is built from what follows). */
  reserve(): number;
  settle(index: number, value: unknown): void;
  /** Reads an object body (shape or dictionary) into `target`. */
  fields(tag: number, target: object): void;
  classRef(tag: number): ClassEntry;
  /** Records a handle this decode attached, to be closed if the decode fails. */
  attached(value: unknown): void;
}

export function readInstance(r: Reader, entry: ClassEntry): object {
  const index = r.reserve();
  const mode = r.byte();
  const options = entry.options;
  let value: object;
  if (mode === ClassMode.Reduce) {
    if (options.revive === undefined) throw mismatch(entry, 'a full reduce (reduce/revive)');
    const data = r.read();
    value = hook(entry, 'revive', () => options.revive!(data));
    r.settle(index, value);
    return value;
  }
  if (mode === ClassMode.InitArgs) {
    if (options.getInitArgs === undefined) throw mismatch(entry, 'constructor arguments (getInitArgs)');
    const args = r.read();
    if (!Array.isArray(args)) throw corrupt('constructor arguments that are not an array');
    value = hook(entry, 'constructor', () => Reflect.construct(entry.cls, args) as object);
    r.settle(index, value);
    const state = r.read();
    if (state !== undefined) restore(entry, value, state);
    return value;
  }
  if (mode === ClassMode.State) {
    // As boost.python's pickle_suite: without getinitargs the constructor runs with no arguments.
    if (options.getState === undefined) throw mismatch(entry, 'a state (getState)');
    value = hook(entry, 'constructor', () => Reflect.construct(entry.cls, []) as object);
    r.settle(index, value);
    restore(entry, value, r.read());
    return value;
  }
  value = Object.create(entry.cls.prototype as object) as object;
  r.settle(index, value);
  if (mode === ClassMode.Fields) {
    if (options.reduce !== undefined || options.getInitArgs !== undefined || options.getState !== undefined) {
      throw mismatch(entry, 'plain fields');
    }
    r.fields(r.byte(), value);
  } else {
    throw corrupt(`unknown class encoding ${mode}`);
  }
  return value;
}

function restore(entry: ClassEntry, value: object, state: unknown): void {
  if (entry.options.setState !== undefined) hook(entry, 'setState', () => entry.options.setState!(value, state));
  else if (typeof state === 'object' && state !== null) Object.assign(value, state);
}

function hook<T>(entry: ClassEntry, what: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw new DecodeError('ERR_MP_DECODE_HOOK', `${what} of class \`${entry.name}\` (${entry.moduleUrl}) failed while decoding: ` +
      `${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function mismatch(entry: ClassEntry, sent: string): DecodeError {
  return new DecodeError('ERR_MP_DECODE_UNKNOWN', `Cannot decode class \`${entry.name}\` (${entry.moduleUrl}): the sender sent ` +
    `${sent}, but the class is registered with other reduce options here. Register it with the same options on every side`);
}

export function readError(r: Reader): Error {
  const index = r.reserve();
  const kindCode = r.byte();
  let base: Function = Error; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
  let target: Function = Error; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
  if (kindCode === registeredErrorKind) {
    const entry = r.classRef(r.byte());
    if (!entry.isError) throw corrupt(`class \`${entry.name}\` is not an error class here`);
    target = entry.cls;
  } else {
    const kind = errorKinds[kindCode];
    if (kind === undefined) throw corrupt('unknown error kind');
    base = kind;
    target = kind;
  }
  const name = r.read();
  const message = r.read();
  const error = Reflect.construct(base, base === AggregateError ? [[]] : [], target) as Error;
  if (message !== undefined) Object.defineProperty(error, 'message', { value: message, writable: true, configurable: true });
  r.settle(index, error);
  const stack = r.read();
  Object.defineProperty(error, 'stack', { value: stack, writable: true, configurable: true });
  if (r.byte() === 1) Object.defineProperty(error, 'cause', { value: r.read(), writable: true, configurable: true });
  const errors = r.read();
  if (errors !== undefined) Object.defineProperty(error, 'errors', { value: errors, writable: true, configurable: true });
  r.fields(Tag.Dict, error);
  // After the own properties, which may hold `name` already (set in a constructor, so enumerable).
  if (typeof name === 'string' && error.name !== name) Object.defineProperty(error, 'name', { value: name, writable: true, configurable: true });
  return error;
}

export function readHandle(r: Reader, registry: CodecRegistry): unknown {
  const index = r.reserve();
  const name = r.string();
  const spec = registry.lookupHandle(name);
  if (spec === undefined) {
    const moduleUrl = builtinHandleModule(name);
    if (moduleUrl !== undefined && !registry.wasImported(moduleUrl)) {
      throw new DecodeError('ERR_MP_DECODE_NEEDS_IMPORT', `Decoding a \`${name}\` handle needs module ${moduleUrl} imported first ` +
        '(use decode(), which imports it)', { moduleUrl });
    }
    throw new DecodeError('ERR_MP_DECODE_UNKNOWN', `Cannot decode a \`${name}\` handle: no handle type of that name is registered here. ` +
      `Import the module that registers it (registerHandle) before decoding`);
  }
  const ref = r.read();
  let value: unknown;
  try {
    value = spec.fromRef(ref);
  } catch (error) {
    throw new DecodeError('ERR_MP_DECODE_HANDLE', `Cannot attach the received ${name} handle: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  r.attached(value);
  r.settle(index, value);
  return value;
}
