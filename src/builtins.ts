// Node built-ins that multiproc reaches through `process.getBuiltinModule` rather than an ES import: an
// import builds the module's namespace, reading every export (node:util loads its argument parser, node:module
// its source maps, node:os and node:url their public modules), and each pool worker thread pays that again
// at start-up. child_process (the process backend, the tracker) and crypto (segment records) load only
// when a feature uses them.

export function childProcess(): typeof import('node:child_process') {
  return process.getBuiltinModule('node:child_process');
}

export function nodeCrypto(): typeof import('node:crypto') {
  return process.getBuiltinModule('node:crypto');
}

export function nodeFs(): typeof import('node:fs') {
  return process.getBuiltinModule('node:fs');
}

export function nodeModule(): typeof import('node:module') {
  return process.getBuiltinModule('node:module');
}

export function nodeOs(): typeof import('node:os') {
  return process.getBuiltinModule('node:os');
}

export function nodeUrl(): typeof import('node:url') {
  return process.getBuiltinModule('node:url');
}

export function nodeUtil(): typeof import('node:util') {
  return process.getBuiltinModule('node:util');
}

/** The symbol `util.inspect` looks for, without loading node:util (it is registered globally). */
export const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;
