// A manager's reply as a value or a throw, for every client: BaseManager, SyncManager, proxies rebuilt in a worker.
import type { Address } from '../connection/address.js';
import { ManagerProtocolError, ManagerRemoteError } from './errors.js';
import { parseReply } from './protocol.js';
import { Token } from './token.js';

/**
 * `#RETURN`'s value; `#ERROR`'s exception thrown; `#TRACEBACK` and `#UNSERIALIZABLE` as ManagerRemoteError; a
 * `#PROXY` handed to `proxy` with its Token moved to the address the call was made at, as Python's client does.
 */
export function unwrapReply(value: unknown, address: Address, proxy: (token: Token, exposed: string[]) => unknown): unknown {
  const [kind, payload] = parseReply(value);
  switch (kind) {
    case '#RETURN':
      return payload;
    case '#ERROR':
      throw payload instanceof Error ? payload : new ManagerProtocolError(`the server sent #ERROR with a ${typeof payload} instead of an exception`);
    case '#TRACEBACK':
      throw new ManagerRemoteError('ERR_MP_MANAGER_REMOTE', String(payload));
    case '#UNSERIALIZABLE':
      throw new ManagerRemoteError('ERR_MP_MANAGER_UNSERIALIZABLE', String(payload));
    case '#PROXY': {
      const [exposed, token] = Array.isArray(payload) ? (payload as unknown[]) : [];
      if (!(token instanceof Token) || !Array.isArray(exposed)) throw new ManagerProtocolError('the server sent a #PROXY without (exposed, Token)');
      // As Python's client does: the proxy lives at the address this side reached the server by.
      token.address = address;
      return proxy(token, exposed as string[]);
    }
    default:
      throw new ManagerProtocolError(`Unrecognized message type ${JSON.stringify(kind)}`);
  }
}
