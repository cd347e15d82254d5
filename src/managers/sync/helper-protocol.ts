// What a thread asks the helper of blocking calls: a pickled request for a server, on a one-shot connection or a method channel.
import type { Address } from '../../connection/address.js';

export interface HelperAsk {
  /** 'request': a one-shot connection (incref, decref, create...), in order; 'call': a method channel. */
  readonly op: 'request' | 'call';
  readonly address: Address;
  readonly authkey: Uint8Array;
  /** The name sent with `accept_connection` when a channel is opened. */
  readonly name: string;
  /** The pickled request; the answer is the pickled reply. */
  readonly bytes: Uint8Array;
  /** A 'call' on the connection of this number, opened on first use: every call of one proxy of an RLock or a Condition, in order. */
  readonly pin?: number;
  /** A 'request' after which the connection of this number is closed (the proxy's decref). */
  readonly unpin?: number;
}
