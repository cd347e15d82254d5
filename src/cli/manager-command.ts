// `multiproc manager serve`: a SyncManager server from the shell, with named typeids a Python program can use unchanged.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Address } from '../connection/address.js';
import { importModule } from '../import-module.js';
import { SyncManager, syncTypeids } from '../managers/sync-manager.js';
import type { TypeidOptions } from '../managers/served.js';

export const managerUsage = `usage: multiproc manager serve --authkey-env VAR [--address HOST:PORT | --address PATH] [--register NAME=TYPE]...
  --authkey-env VAR     the environment variable holding the key every client must prove (required)
  --address HOST:PORT   where to listen (default 127.0.0.1:0, loopback only; port 0 picks one); a path is a Unix socket
  --register NAME=TYPE  serve one shared object under NAME, as Python's register(NAME, callable=lambda: obj):
                        TYPE is a SyncManager typeid (queue, joinablequeue, list, dict, event, lock, rlock, semaphore,
                        boundedsemaphore, condition, barrier, value, array, namespace) or MODULE.js#EXPORT (a function is
                        called for each create, anything else is served as it is)
Every SyncManager typeid is served too (m.Queue(), m.list(), ... from Python's SyncManager.connect()).
Prints "listening HOST PORT" and serves until a client sends shutdown (or SIGINT/SIGTERM).`;

/** A refused command line: the message, and exit status 2. */
class UsageError extends Error {}

const typeidNames = new Map(Object.keys(syncTypeids).map((typeid) => [typeid.toLowerCase(), typeid]));

function parseAddress(text: string): Address {
  if (text.includes('/')) return text;
  const at = text.lastIndexOf(':');
  const host = at < 0 ? '' : text.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(text.slice(at + 1));
  if (host === '' || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--address wants HOST:PORT or a socket path, got ${JSON.stringify(text)}`);
  return [host, port];
}

/** One object made at the first create and handed out at every other, as Python's `callable=lambda: obj`. */
function shared(make: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  let made: { value: unknown } | undefined;
  return (...args: unknown[]) => (made ??= { value: make(...args) }).value;
}

async function typeidFor(spec: string): Promise<TypeidOptions> {
  const hash = spec.indexOf('#');
  if (hash < 0) {
    const typeid = typeidNames.get(spec.toLowerCase());
    const entry = typeid === undefined ? undefined : syncTypeids[typeid];
    if (entry?.callable === undefined) throw new UsageError(`--register: ${JSON.stringify(spec)} is no SyncManager typeid nor MODULE.js#EXPORT`);
    const make = entry.callable as (...args: unknown[]) => unknown;
    return { ...entry, callable: shared(make) };
  }
  const file = spec.slice(0, hash);
  const name = spec.slice(hash + 1);
  const url = /^[a-z][a-z0-9+.-]*:/i.test(file) ? file : pathToFileURL(path.resolve(file)).href;
  const module = (await importModule(url)) as Record<string, unknown>;
  if (!(name in module)) throw new UsageError(`--register: ${file} has no export ${JSON.stringify(name)}`);
  const value = module[name];
  if (typeof value !== 'function') return { callable: () => value };
  const isClass = /^class[\s{]/.test(Function.prototype.toString.call(value));
  const fn = value as (...args: unknown[]) => unknown;
  return { callable: isClass ? (...args: unknown[]) => Reflect.construct(fn, args) as unknown : (...args: unknown[]) => fn(...args) };
}

interface ServeOptions {
  address: Address;
  authkeyEnv: string;
  registers: [name: string, spec: string][];
}

function parse(args: string[]): ServeOptions {
  let address: Address = ['127.0.0.1', 0];
  let authkeyEnv: string | undefined;
  const registers: [string, string][] = [];
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const value = args[i + 1];
    if (!['--address', '--authkey-env', '--register'].includes(flag)) throw new UsageError(`unknown option ${JSON.stringify(flag)}`);
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    i++;
    if (flag === '--address') address = parseAddress(value);
    else if (flag === '--authkey-env') authkeyEnv = value;
    else {
      const eq = value.indexOf('=');
      if (eq <= 0 || eq === value.length - 1) throw new UsageError(`--register wants NAME=TYPE, got ${JSON.stringify(value)}`);
      registers.push([value.slice(0, eq), value.slice(eq + 1)]);
    }
  }
  if (authkeyEnv === undefined) throw new UsageError('--authkey-env VAR is required: a manager serves nobody without a key');
  return { address, authkeyEnv, registers };
}

function isLoopback(address: Address): boolean {
  return typeof address === 'string' || address[0] === 'localhost' || address[0] === '::1' || address[0].startsWith('127.');
}

async function serve(args: string[], out: (text: string) => void, err: (text: string) => void): Promise<number> {
  const { address, authkeyEnv, registers } = parse(args);
  const key = process.env[authkeyEnv];
  if (key === undefined || key === '') throw new UsageError(`the environment variable ${authkeyEnv} (--authkey-env) is not set or empty: no key, no server`);
  const manager = new SyncManager({ address, authkey: new TextEncoder().encode(key) });
  for (const [name, spec] of registers) manager.register(name, await typeidFor(spec));
  const server = await manager.getServer();
  const stop = (): void => server.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const bound = server.address;
  out(typeof bound === 'string' ? `listening ${bound}` : `listening ${bound[0]} ${bound[1]}`);
  if (!isLoopback(bound)) err(`multiproc manager: serving on ${bound[0]}: anyone who can reach it and holds the key may call every exposed method`);
  try {
    await server.serveForever();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}

/** `multiproc manager serve ...`; a refused command line prints why and returns 2. */
export async function managerCommand(args: string[], out: (text: string) => void, err: (text: string) => void = (text) => process.stderr.write(`${text}\n`)): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'serve') {
    out(managerUsage);
    return sub === undefined || sub === 'help' || sub === '--help' ? 0 : 2;
  }
  try {
    return await serve(rest, out, err);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(`multiproc manager serve: ${error.message}`);
    return 2;
  }
}
