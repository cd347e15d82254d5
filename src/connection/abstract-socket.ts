// Linux abstract Unix sockets (a name with a leading NUL) at the name's exact length, as Python binds and
// connects them; Node pads such names to the whole sun_path, which no Python peer would meet.
import { Socket } from 'node:net';
import { native } from '../native/binding.js';

export function isAbstract(address: unknown): address is string {
  return typeof address === 'string' && address.startsWith('\0');
}

interface AbstractSockets {
  abstractListen(this: void, name: string, backlog: number): number;
  abstractConnect(this: void, name: string): number;
}

function binding(): AbstractSockets {
  const addon = native();
  if (addon.abstractListen === undefined || addon.abstractConnect === undefined) throw new Error('abstract Unix sockets exist only on Linux');
  return { abstractListen: (name, backlog) => addon.abstractListen!(name, backlog), abstractConnect: (name) => addon.abstractConnect!(name) };
}

/** The descriptor of a socket listening on `name`, for `server.listen({ fd })`. */
export function listenAbstract(name: string, backlog: number): number {
  return binding().abstractListen(name, backlog);
}

/** A socket connected to `name`; EAGAIN (the listener's backlog is full) is retried until `deadline`. */
export async function connectAbstract(name: string, deadline: number, signal: AbortSignal | undefined): Promise<Socket> {
  const { abstractConnect } = binding();
  for (;;) {
    try {
      return new Socket({ fd: abstractConnect(name), readable: true, writable: true });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EAGAIN' || performance.now() >= deadline) throw error;
    }
    signal?.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
