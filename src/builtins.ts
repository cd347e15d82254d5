// Node built-ins that only some features use, loaded on first use: importing each costs a millisecond or
// two of start-up, which every program importing multiproc would pay (the process backend and the resource
// tracker need child_process; naming segment records needs crypto).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function childProcess(): typeof import('node:child_process') {
  return require('node:child_process') as typeof import('node:child_process');
}

export function nodeCrypto(): typeof import('node:crypto') {
  return require('node:crypto') as typeof import('node:crypto');
}
