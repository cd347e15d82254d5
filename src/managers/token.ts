// Token: Python's multiprocessing.managers.Token, the (typeid, address, id) naming one object on a manager server.
import { expected } from '../errors.js';
import type { Address } from '../connection/address.js';
import { registerPickleClass } from '../pickle/registry.js';
import { Tuple, tuple } from '../pickle/types.js';
import { ManagerProtocolError } from './errors.js';

/** Which object of which manager a proxy stands for. Pickles as Python's `Token` (`NEWOBJ`, then `BUILD` with the 3-tuple). */
export class Token {
  typeid: string;
  address: Address;
  id: string;

  constructor(typeid: string, address: Address, id: string) {
    if (typeof typeid !== 'string') throw new TypeError(expected('typeid', 'a string', typeid));
    if (typeof id !== 'string') throw new TypeError(expected('id', 'a string', id));
    this.typeid = typeid;
    this.address = address;
    this.id = id;
  }

  toString(): string {
    const where = typeof this.address === 'string' ? JSON.stringify(this.address) : `('${this.address[0]}', ${this.address[1]})`;
    return `Token(typeid='${this.typeid}', address=${where}, id='${this.id}')`;
  }
}

/** An address as it came over the wire: a `(host, port)` tuple or a path. */
export function addressFromWire(value: unknown): Address {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && (typeof value[1] === 'number' || typeof value[1] === 'bigint')) {
    return [value[0], Number(value[1])];
  }
  if (value instanceof Uint8Array) return new TextDecoder('latin1').decode(value);
  throw new ManagerProtocolError('a Token address is neither a (host, port) tuple nor a path');
}

/** An address as Python writes it: a `(host, port)` tuple, not a list. */
export function addressToWire(address: Address): Tuple | string {
  return typeof address === 'string' ? address : tuple(address[0], address[1]);
}

registerPickleClass('multiprocessing.managers', 'Token', Token, {
  getNewArgs: () => [],
  getState: (token) => tuple(token.typeid, addressToWire(token.address), token.id),
  create: () => Object.create(Token.prototype) as Token,
  setState(token, state) {
    if (!Array.isArray(state) || state.length !== 3 || typeof state[0] !== 'string' || typeof state[2] !== 'string') {
      throw new ManagerProtocolError('a Token state is not a (typeid, address, id) tuple');
    }
    token.typeid = state[0];
    token.address = addressFromWire(state[1]);
    token.id = state[2];
  },
});
