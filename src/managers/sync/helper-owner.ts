// HelperOwner: the side of proxies that make blocking calls (and of proxies rebuilt in a worker): blocking calls on
// this thread's own blocking channel, async ones and reference counts through a helper thread.
import type { Address } from '../../connection/address.js';
import { runtimeFileUrl } from '../../runtime-files.js';
import { startSyncCallThread, type SyncCallThread } from '../../backends/sync-call-thread.js';
import type { DumpOptions, LoadOptions } from '../../pickle/options.js';
import { loads } from '../../pickle/reader.js';
import { dumps } from '../../pickle/writer.js';
import { registerBuiltinHandle } from '../../serialize/builtin-handles.js';
import { BlockingChannel } from '../blocking-channel.js';
import { request } from '../protocol.js';
import { ManagerStateError } from '../errors.js';
import { servingHere } from '../serving-here.js';
import { Token, addressFromWire } from '../token.js';
import type { HelperAsk } from './helper-protocol.js';
import { proxyRefsLoaded } from '../proxy-ref.js';
import { adoptProxies, adoptProxiesSync } from './live-proxies.js';
import { proxyClasses, proxyFor, SyncProxy, type SyncProxyOwner } from './proxies.js';
import { unwrapReply } from '../reply.js';

let helper: SyncCallThread | undefined;

/** The typeids whose served objects know their owner by connection: each proxy's calls all go on one (pinned) connection. */
export const pinnedTypeids: ReadonlySet<string> = new Set(['RLock', 'Condition']);
const pins = new WeakMap<Token, number>();
let nextPin = 1;

/** The pinned connection of a token (one per proxy: each proxy has a Token of its own), if its typeid needs one. */
function pinOf(token: Token): number | undefined {
  if (!pinnedTypeids.has(token.typeid)) return undefined;
  let pin = pins.get(token);
  if (pin === undefined) pins.set(token, (pin = nextPin++));
  return pin;
}

/** This thread's helper, started on first use. */
function helperThread(): SyncCallThread {
  helper ??= startSyncCallThread(runtimeFileUrl('managers/sync/call-helper.js'));
  return helper;
}

export interface HelperOwnerOptions {
  /** The name sent with `accept_connection`. @default 'MainProcess' */
  name?: string;
  loadOptions?: LoadOptions;
  dumpOptions?: DumpOptions;
  /** Microseconds a blocking call tries the socket before it sleeps. @default 50 */
  spin?: number;
}

/**
 * Calls a manager server: `callMethodSync` blocks until the reply (Python's blocking proxies), on this thread's
 * blocking channel; `callMethod`, `incref` and `decref` do not, and go through this thread's helper thread.
 * Reference counts go in the order they were asked, so a rebuilt proxy's `incref` always reaches the server
 * before its `decref`. An RLock's or a Condition's calls, blocking or not, all go through the helper on the
 * proxy's pinned connection: the server knows their owner by connection.
 */
export class HelperOwner implements SyncProxyOwner {
  readonly address: Address;
  readonly authkey: Uint8Array;
  readonly #options: HelperOwnerOptions;
  readonly #channel: BlockingChannel;

  constructor(address: Address, authkey: Uint8Array, options: HelperOwnerOptions = {}) {
    this.address = address;
    this.authkey = authkey.slice();
    this.#options = options;
    const { name, loadOptions, dumpOptions, spin } = options;
    this.#channel = new BlockingChannel({ authkey, name, loadOptions, dumpOptions, spin });
  }

  get authkeyForRef(): Uint8Array {
    return this.authkey;
  }

  #ask(op: HelperAsk['op'], address: Address, bytes: Uint8Array, pin?: { pin?: number; unpin?: number }): HelperAsk {
    return { op, address, authkey: this.authkey, name: this.#options.name ?? 'MainProcess', bytes, ...pin };
  }

  #call(token: Token, bytes: Uint8Array): HelperAsk {
    const pin = pinOf(token);
    return this.#ask('call', token.address, bytes, pin === undefined ? {} : { pin });
  }

  #unwrap(bytes: unknown, address: Address, owner: SyncProxyOwner = this): unknown {
    return this.#unwrapLoaded(loads(bytes as Uint8Array, this.#options.loadOptions), address, owner);
  }

  #unwrapLoaded(value: unknown, address: Address, owner: SyncProxyOwner = this): unknown {
    return unwrapReply(value, address, (token, exposed) => proxyFor(owner, token, exposed));
  }

  /**
   * A method call, this thread waiting for the reply; proxies in it are `owner`'s (a SyncManager makes them its
   * own), each with its reference taken before the call returns.
   */
  callMethodSync(token: Token, method: string, args: readonly unknown[], kwds: ReadonlyMap<unknown, unknown>, owner: SyncProxyOwner = this): unknown {
    const before = proxyRefsLoaded();
    let value: unknown;
    if (!pinnedTypeids.has(token.typeid)) {
      value = this.#unwrapLoaded(this.#channel.call(token.address, token.id, method, args, kwds), token.address, owner);
    } else {
      // The server would need this very thread to answer: the call would wait for ever.
      if (servingHere(token.address)) throw new ManagerStateError('ERR_MP_MANAGER_STATE', `a blocking call to the manager server this thread runs (at ${String(token.address)}) would wait for ever; await the async method instead`);
      const bytes = dumps(request(token.id, method, args, kwds), this.#options.dumpOptions);
      value = this.#unwrap(helperThread().callSync(this.#call(token, bytes)), token.address, owner);
    }
    if (proxyRefsLoaded() === before) return value;
    return adoptProxiesSync(value, owner, (t) => this.#unwrapLoaded(this.#channel.request(t.address, 'incref', [t.id]), t.address));
  }

  async callMethod(token: Token, method: string, args: readonly unknown[], kwds: ReadonlyMap<unknown, unknown>, owner: SyncProxyOwner = this): Promise<unknown> {
    const bytes = dumps(request(token.id, method, args, kwds), this.#options.dumpOptions);
    const reply = await helperThread().call(this.#call(token, bytes));
    const before = proxyRefsLoaded();
    const value = this.#unwrap(reply, token.address, owner);
    return proxyRefsLoaded() === before ? value : adoptProxies(value, owner);
  }

  /** A one-shot request (`incref`, `decref`, `create`...). */
  async request(funcname: string, args: readonly unknown[] = []): Promise<unknown> {
    const bytes = dumps(request(null, funcname, args), this.#options.dumpOptions);
    return this.#unwrap(await helperThread().call(this.#ask('request', this.address, bytes)), this.address);
  }

  /** A one-shot request, this thread waiting for its reply. */
  requestSync(funcname: string, args: readonly unknown[] = []): unknown {
    return this.#unwrapLoaded(this.#channel.request(this.address, funcname, args), this.address);
  }

  async incref(token: Token): Promise<void> {
    await this.request('incref', [token.id]);
  }

  async decref(token: Token): Promise<void> {
    const bytes = dumps(request(null, 'decref', [token.id]), this.#options.dumpOptions);
    const pin = pins.get(token);
    const ask = this.#ask('request', this.address, bytes, pin === undefined ? {} : { unpin: pin });
    this.#unwrap(await helperThread().call(ask), this.address);
  }
}

const owners = new Map<string, HelperOwner>();

/** One owner per server and key in this thread, shared by every proxy rebuilt for it. */
function ownerFor(address: Address, authkey: Uint8Array): HelperOwner {
  const key = `${JSON.stringify(address)}\n${Buffer.from(authkey).toString('hex')}`;
  let owner = owners.get(key);
  if (owner === undefined) owners.set(key, (owner = new HelperOwner(address, authkey)));
  return owner;
}

interface ProxyHandleRef {
  typeid: string;
  address: Address;
  id: string;
  exposed: string[];
  authkey: Uint8Array;
}

/**
 * A SyncManager proxy travels to a worker or a Process as its token, exposed names and the manager's key (as a
 * Python proxy pickled for a spawned child carries its authkey). The worker's copy takes a reference of its own
 * (`incref`, sent before anything else it asks) and gives it back on `release()` or when collected.
 */
registerBuiltinHandle<SyncProxy>({
  name: 'multiproc.ManagerProxy',
  type: SyncProxy,
  toRef: (proxy): ProxyHandleRef => ({
    typeid: proxy.token.typeid,
    address: proxy.token.address,
    id: proxy.token.id,
    exposed: [...proxy.exposed],
    authkey: proxy.owner.authkeyForRef,
  }),
  fromRef(ref) {
    const { typeid, address, id, exposed, authkey } = ref as ProxyHandleRef;
    const where = addressFromWire(address);
    const owner = ownerFor(where, authkey);
    const token = new Token(typeid, where, id);
    // As Python's RebuildProxy: the reference is taken before the proxy is used, here on this thread unless this
    // thread runs the server (then through the helper, whose calls wait for it). A server out of reach fails the calls.
    if (servingHere(where)) {
      owner.request('incref', [id]).catch(() => undefined);
    } else {
      try {
        owner.requestSync('incref', [id]);
      } catch {
        // The calls will say why.
      }
    }
    const Cls = proxyClasses.get(typeid) ?? SyncProxy;
    return new Cls(owner, token, exposed);
  },
});
