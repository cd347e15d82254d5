// Writing the values that carry a class reference: instances (with the reduce protocol), errors, handles.
import { EncodeError } from './errors.js';
import type { ClassEntry, HandleSpec } from './registry.js';
import { ClassMode, errorKindOf, registeredErrorKind, Tag } from './wire.js';

/** The encoder's primitives, as these writers see them. */
export interface Writer {
  write(value: unknown): void;
  byte(value: number): void;
  varint(value: number): void;
  string(value: string): void;
  /** A class instance's own enumerable fields, as an object body. */
  fields(value: object): void;
  /** The class's (module URL, name), or its number when the message named it already. */
  classRef(entry: ClassEntry): void;
}

export function writeInstance(w: Writer, value: object, entry: ClassEntry): void {
  w.classRef(entry);
  const options = entry.options;
  if (options.reduce !== undefined) {
    w.byte(ClassMode.Reduce);
    w.write(options.reduce(value));
  } else if (options.getInitArgs !== undefined) {
    const args = options.getInitArgs(value);
    if (!Array.isArray(args)) {
      throw new EncodeError(`getInitArgs of class \`${entry.name}\` must return an array of constructor arguments, got ${typeof args}`);
    }
    w.byte(ClassMode.InitArgs);
    w.write(args);
    w.write(options.getState?.(value));
  } else if (options.getState !== undefined) {
    w.byte(ClassMode.State);
    w.write(options.getState(value));
  } else {
    w.byte(ClassMode.Fields);
    w.fields(value);
  }
}

export function writeError(w: Writer, error: Error, entry: ClassEntry | undefined): void {
  w.byte(Tag.Error);
  if (entry !== undefined) {
    w.byte(registeredErrorKind);
    w.classRef(entry);
  } else {
    let kind = 0;
    for (let proto: unknown = Object.getPrototypeOf(error); proto !== null; proto = Object.getPrototypeOf(proto)) {
      const found = errorKindOf.get((proto as { constructor: unknown }).constructor);
      if (found !== undefined) {
        kind = found;
        break;
      }
    }
    w.byte(kind);
  }
  w.write(String(error.name));
  w.write(error.message);
  w.write(error.stack);
  const hasCause = Object.prototype.hasOwnProperty.call(error, 'cause');
  w.byte(hasCause ? 1 : 0);
  if (hasCause) w.write(error.cause);
  const errors = error instanceof AggregateError ? (error.errors as unknown) : undefined;
  w.write(errors);
  const keys = Object.keys(error);
  w.varint(keys.length);
  for (const key of keys) {
    w.string(key);
    w.write((error as unknown as Record<string, unknown>)[key]);
  }
}

export function writeHandle(w: Writer, value: object, spec: HandleSpec<unknown>): void {
  let ref: unknown;
  try {
    ref = spec.toRef(value);
  } catch (error) {
    throw new EncodeError(`Cannot send ${spec.name} handle by reference: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  w.byte(Tag.Handle);
  w.string(spec.name);
  w.write(ref);
}
