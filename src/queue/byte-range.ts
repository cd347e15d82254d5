// The bytes a connection sends or receives into, as Python's `send_bytes(buf, offset, size)` and
// `recv_bytes_into(buffer, offset)` take them: any typed array, DataView or (Shared)ArrayBuffer, with Python's
// range checks. Pipe ends and socket connections share them.
import { expected } from '../errors.js';

/** The bytes `send_bytes(buf, offset, size)` sends, with Python's range checks. */
export function bytesOf(buf: ArrayBufferView | ArrayBufferLike, offset: number, size: number | undefined): Uint8Array {
  const bytes = asBytes(buf, 'buf');
  if (!Number.isInteger(offset) || offset < 0) throw new RangeError(expected('offset', 'a non-negative integer', offset));
  if (offset > bytes.length) throw new RangeError(expected('offset', `at most the buffer's length (${bytes.length} bytes)`, offset));
  if (size === undefined) return bytes.subarray(offset);
  if (!Number.isInteger(size) || size < 0) throw new RangeError(expected('size', 'a non-negative integer', size));
  if (offset + size > bytes.length) throw new RangeError(expected('size', `at most the buffer's length less offset (${bytes.length - offset} bytes)`, size));
  return bytes.subarray(offset, offset + size);
}

function asBytes(buf: unknown, name: string): Uint8Array {
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf instanceof ArrayBuffer || buf instanceof SharedArrayBuffer) return new Uint8Array(buf);
  throw new TypeError(expected(name, 'a TypedArray, DataView, ArrayBuffer or SharedArrayBuffer', buf));
}

/** The writable room `recv_bytes_into(buffer, offset)` fills, checked before anything is received. */
export function roomOf(buffer: ArrayBufferView | ArrayBufferLike, offset: number): Uint8Array {
  const bytes = asBytes(buffer, 'buffer');
  if (!Number.isInteger(offset) || offset < 0) throw new RangeError(expected('offset', 'a non-negative integer', offset));
  if (offset > bytes.length) throw new RangeError(expected('offset', `at most the buffer's length (${bytes.length} bytes)`, offset));
  return bytes.subarray(offset);
}
