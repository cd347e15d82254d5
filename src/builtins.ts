// How multiproc reaches Node built-ins. Those whose ES namespace loads more than the module itself (fs, util,
// os, module, url, buffer, and child_process and crypto, which only some features need) come through
// `process.getBuiltinModule` where they are used, not an ES import: an import builds the namespace by reading
// every export (node:fs then loads the file streams, node:util its argument parser, node:module source maps),
// and each pool worker thread would pay that again at start-up.

/** The symbol `util.inspect` looks for, without loading node:util (it is registered globally). */
export const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;
