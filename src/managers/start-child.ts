// BaseManager.start(): a manager's server in a child process, described by module and export names, its address handed back.
import { spawnManagerChild, type ManagerChild } from '../backends/spawn-manager.js';
import { expected } from '../errors.js';
import { runtimeFileUrl } from '../runtime-files.js';
import { encode, packetToBytes, registry } from '../serialize/index.js';
import type { Address } from '../connection/address.js';
import { ManagerStartError } from './errors.js';
import type { TypeidEntry } from './served.js';

/** A function named so another process can import it: a module URL and an export name. */
export interface FunctionName {
  url: string;
  name: string;
}

/** One typeid as the child registers it. */
export interface ChildTypeid {
  typeid: string;
  callable: FunctionName | null;
  exposed: string[] | null;
  methodToTypeid: Record<string, string>;
}

/** What the parent sends the child: everything structured-cloneable, the key included (never on the command line). */
export interface ChildDescription {
  v: 1;
  /** The package export the child makes its manager with (`BaseManager`, `RemoteSharedMemoryManager`). */
  exportName: string;
  options: Record<string, unknown>;
  typeids: ChildTypeid[];
  initializer: FunctionName | null;
  /** The initializer's arguments, in multiproc's codec (class instances travel by module and export name). */
  initargs: Uint8Array;
  parentPid: number;
}

/** What the child answers: where it listens, or why it could not start. */
export type ChildReply = { type: 'ready'; address: Address } | { type: 'failed'; message: string; code: string | undefined; stack: string | undefined };

export interface StartOptions {
  /** Called in the child, with `initargs`, before the server listens (Python's `start(initializer, initargs)`). Named by module and export. */
  initializer?: ((...args: never[]) => unknown) | FunctionName;
  /** The initializer's arguments (multiproc's codec: class instances by module and export). @default [] */
  initargs?: readonly unknown[];
  /** Milliseconds the child may take to listen. @default 30000 */
  timeout?: number;
}

/** A server running in a child process. */
export interface StartedServer {
  readonly address: Address;
  readonly pid: number;
  readonly alive: boolean;
  /** Waits up to `timeout` ms for the child to end (after a shutdown request); then kills it. */
  stop(timeout: number): Promise<void>;
}

function isFunctionName(value: unknown): value is FunctionName {
  const ref = value as Partial<FunctionName> | null;
  return (typeof ref === 'object' || typeof ref === 'function') && ref !== null && typeof ref.url === 'string' && typeof ref.name === 'string';
}

/** How a function travels to the child: its codec registration, or the module and export a task reference carries. */
export function functionName(fn: unknown, option: string): FunctionName {
  if (typeof fn === 'function') {
    const entry = registry.functionOf(fn);
    if (entry !== undefined) return { url: entry.moduleUrl, name: entry.name };
  }
  if (isFunctionName(fn)) return { url: fn.url, name: fn.name };
  const name = typeof fn === 'function' && fn.name !== '' ? fn.name : 'fn';
  throw new TypeError(expected(option, `a function the server's child process can import: export it and call registerFunction(${name}, import.meta.url) in its module, or pass taskRef(moduleUrl, '${name}')`, fn));
}

export function describeTypeids(typeids: ReadonlyMap<string, TypeidEntry>): ChildTypeid[] {
  return [...typeids].map(([typeid, entry]) => ({
    typeid,
    callable: entry.callable === undefined ? null : functionName(entry.callable, `callable of ${typeid}`),
    exposed: entry.exposed === undefined ? null : [...entry.exposed],
    methodToTypeid: Object.fromEntries(entry.methodToTypeid),
  }));
}

/** Starts the child, sends it the description, and resolves once it listens. A child that fails is gone when this rejects. */
export async function startServerChild(description: Omit<ChildDescription, 'v' | 'parentPid' | 'initargs' | 'initializer'>, options: StartOptions): Promise<StartedServer> {
  const { timeout = 30_000, initargs = [] } = options;
  if (typeof timeout !== 'number' || !(timeout > 0)) throw new RangeError(expected('timeout', 'a positive number of milliseconds', timeout));
  if (!Array.isArray(initargs)) throw new TypeError(expected('initargs', 'an array', initargs));
  const initializer = options.initializer === undefined ? null : functionName(options.initializer, 'initializer');
  const full: ChildDescription = { v: 1, ...description, initializer, initargs: packetToBytes(encode(initargs)), parentPid: process.pid };
  const child = spawnManagerChild(process.getBuiltinModule('node:url').fileURLToPath(runtimeFileUrl('managers/server-main.js')));
  let timer: NodeJS.Timeout | undefined;
  try {
    child.send(full);
    const first = await Promise.race([
      child.firstMessage(),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeout))),
    ]);
    if (first === 'timeout') throw new ManagerStartError(`the manager's child process did not listen within ${timeout} ms`);
    if ('exit' in first) throw new ManagerStartError(`the manager's child process exited (code ${first.exit[0]}, signal ${first.exit[1]}) before it listened`);
    const reply = first.message as ChildReply;
    if (reply.type !== 'ready') {
      const error = new ManagerStartError(`the manager's child process could not start its server: ${reply.message}`);
      if (reply.stack !== undefined) error.stack = `${error.stack ?? ''}\nin the child: ${reply.stack}`;
      throw error;
    }
    child.release();
    return started(child, reply.address);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function started(child: ManagerChild, address: Address): StartedServer {
  return {
    address,
    pid: child.pid,
    get alive() {
      return child.alive;
    },
    async stop(timeout) {
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([child.exited.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeout)))]);
      clearTimeout(timer);
      if (ended) return;
      // Python's _finalize_manager: terminate, then a short join.
      child.kill('SIGTERM');
      const termed = await Promise.race([child.exited.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 1000)))]);
      clearTimeout(timer);
      if (!termed) {
        child.kill('SIGKILL');
        await child.exited;
      }
    },
  };
}
