// The pickle reader and writer: Python's pickle format, with globals only from an allow-list.
export { loads } from './reader.js';
export { dumps } from './writer.js';
export type { LoadOptions, DumpOptions } from './options.js';
export { HIGHEST_PROTOCOL, DEFAULT_PROTOCOL } from './opcodes.js';
export { Tuple, tuple, ByteArray, FrozenSet, OrderedDict, Complex, Float, Decimal, PickleGlobal, PickleObject } from './types.js';
export { PyDate, PyTime, PyDateTime, Timedelta, Timezone } from './datetime.js';
export { PythonError } from './python-error.js';
export {
  PickleRegistry,
  pickleRegistry,
  registerPickleClass,
  registerPickleFunction,
  type PickleClassHooks,
  type Reduction,
} from './registry.js';
export {
  PickleTruncatedError,
  PickleOpcodeError,
  PickleFormatError,
  PickleGlobalError,
  PickleLimitError,
  PickleUnsupportedError,
} from './errors.js';
