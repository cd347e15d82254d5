// Blocking sockets owned by the addon (never by libuv): the typed calls, each wait bounded by a timeout.
import { native, NativeAddonError } from './binding.js';

/** What the addon offers for blocking sockets; every wait returns after at most its `timeoutMs`. */
export interface BlockingSockets {
  connect: (unix: boolean, host: string, port: number, timeoutMs: number) => number;
  listen: (unix: boolean, host: string, port: number, backlog: number) => [fd: number, port: number];
  accept: (fd: number, timeoutMs: number) => number;
  send: (fd: number, bytes: Uint8Array, offset: number, length: number, timeoutMs: number, more: boolean) => number;
  recv: (fd: number, bytes: Uint8Array, offset: number, length: number, timeoutMs: number, spinNs: number) => number;
  poll: (fd: number, timeoutMs: number) => boolean;
  close: (fd: number) => void;
}

let sockets: BlockingSockets | undefined;

/** The addon's blocking-socket calls; `ERR_MP_NATIVE_UNAVAILABLE` without the addon or off Linux. */
export function blockingSockets(): BlockingSockets {
  if (sockets !== undefined) return sockets;
  const addon = native();
  const { blockingConnect, blockingListen, blockingAccept, blockingSend, blockingRecv, blockingPoll, blockingClose } = addon;
  if (
    blockingConnect === undefined || blockingListen === undefined || blockingAccept === undefined || blockingSend === undefined ||
    blockingRecv === undefined || blockingPoll === undefined || blockingClose === undefined
  ) {
    throw new NativeAddonError(`blocking connections need the addon's socket calls, which are built on Linux only (this is ${process.platform})`);
  }
  // Called unbound: the functions read nothing from `this`.
  sockets = {
    connect: blockingConnect,
    listen: blockingListen,
    accept: blockingAccept,
    send: blockingSend,
    recv: blockingRecv,
    poll: blockingPoll,
    close: blockingClose,
  };
  return sockets;
}
