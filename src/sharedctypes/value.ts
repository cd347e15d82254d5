// RawValue and Value: one typed item in shared memory, as Python's sharedctypes.RawValue and Value.
import { Kind } from '../sync/region.js';
import { attachParts, checkParts, checkSynchronizedOptions, createParts, SharedCtype, type CtypeRef, type Parts, type SynchronizedOptions } from './shared-ctype.js';
import { checkTypecode, fromStored, toStored, type InputOf, type Typecode, type ValueOf } from './typecodes.js';
import { refHandle, registerBuiltinHandle } from '../serialize/builtin-handles.js';

/**
 * One item with no lock: Python's `RawValue(typecode, value)`. Typecode `'c'` holds one byte and reads as a
 * 1-byte Uint8Array, as Python's reads as a 1-byte `bytes`: `new RawValue('c', Uint8Array.of(0x78))`.
 */
export class RawValue<T extends Typecode = Typecode> extends SharedCtype<T> {
  /** `parts` is for attaching by reference. */
  constructor(typecode: T, initial: InputOf<T> = 0, parts?: Parts) {
    checkTypecode(typecode);
    checkParts(parts, new.target.name);
    const stored = parts === undefined ? toStored(typecode, initial, 'initial') : 0;
    super(typecode, parts ?? createParts(Kind.Value, typecode, 1, false));
    if (parts === undefined) this.view[0] = stored;
  }

  static fromRef<T extends Typecode = Typecode>(ref: CtypeRef): RawValue<T> {
    return new RawValue<T>(ref.typecode as T, 0, attachParts(ref, Kind.Value));
  }

  get value(): ValueOf<T> {
    return fromStored(this.typecode, this.view[0]);
  }

  set value(value: InputOf<T>) {
    this.view[0] = toStored(this.typecode, value);
  }
}

/**
 * One item with a lock: Python's `Value(typecode, value, lock=True)`. `value += 1` is a read and a write,
 * so hold the lock around it: `using _ = v.guardSync(); v.value += 1`.
 */
export class Value<T extends Typecode = Typecode> extends RawValue<T> {
  constructor(typecode: T, initial: InputOf<T> = 0, options: SynchronizedOptions = {}, parts?: Parts) {
    checkTypecode(typecode);
    const { lock } = checkSynchronizedOptions(options);
    checkParts(parts, 'Value');
    const stored = toStored(typecode, initial, 'initial');
    super(typecode, initial, parts ?? createParts(Kind.Value, typecode, 1, lock ?? true));
    if (parts === undefined) this.view[0] = stored;
  }

  static override fromRef<T extends Typecode = Typecode>(ref: CtypeRef): Value<T> {
    return new Value<T>(ref.typecode as T, 0, {}, attachParts(ref, Kind.Value));
  }
}

registerBuiltinHandle(refHandle('multiproc.RawValue', RawValue, (ref: CtypeRef) => RawValue.fromRef(ref)));
registerBuiltinHandle(refHandle('multiproc.Value', Value, (ref: CtypeRef) => Value.fromRef(ref)));
