// A thrown value as a packet for the pool: encoded whole when it can be, else as much of it as can travel.
import { encode, type Packet } from '../serialize/index.js';

export function encodeError(error: unknown): Packet {
  try {
    return encode(error);
  } catch {
    // Something in it cannot travel (a field holding a function, say): its name, message, stack and code can.
    const plain: Record<string, unknown> = error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : { message: String(error) };
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string') plain['code'] = code;
    return encode(Object.assign(new Error(String(plain['message'])), plain));
  }
}
