// The framing of multiprocessing.connection, byte for byte (docs: PYTHON_INTEROP 3.1).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeFrame, encodeHeader, encodeLongHeader, FrameReader } from '../../src/connection/framing.js';
import { MessageTooLargeError } from '../../src/connection/errors.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/ /g, ''), 'hex'));

function drain(reader: FrameReader): string[] {
  const out: string[] = [];
  for (let frame = reader.take(); frame !== undefined; frame = reader.take()) out.push(hex(frame));
  return out;
}

describe('framing', () => {
  it('writes the headers Python writes', () => {
    assert.equal(hex(encodeHeader(0)), '00000000');
    assert.equal(hex(encodeHeader(3)), '00000003');
    assert.equal(hex(encodeHeader(16384)), '00004000');
    assert.equal(hex(encodeHeader(16385)), '00004001');
    assert.equal(hex(encodeHeader(0x7fffffff)), '7fffffff');
    // Past 2^31 - 1: -1, then the length as an unsigned 64-bit integer.
    assert.equal(hex(encodeHeader(0x80000000)), 'ffffffff0000000080000000');
    assert.equal(hex(encodeLongHeader(5)), 'ffffffff0000000000000005');
  });

  it('frames Python\'s send((\'hello\', 1)) payload as Python does', () => {
    const payload = fromHex('80 04 95 0d 00 00 00 00 00 00 00 8c 05 68 65 6c 6c 6f 94 4b 01 86 94 2e');
    assert.equal(hex(encodeFrame(payload)).slice(0, 8), '00000018');
    assert.equal(hex(encodeFrame(payload)).slice(8), hex(payload));
  });

  it('reads frames split anywhere, several in one chunk, and empty ones', () => {
    const stream = new Uint8Array([...encodeFrame(fromHex('aabbcc')), ...encodeFrame(new Uint8Array(0)), ...encodeLongHeader(2), 0x01, 0x02, ...encodeFrame(fromHex('ff'))]);
    for (let step = 1; step <= stream.length; step++) {
      const reader = new FrameReader(1 << 20);
      const got: string[] = [];
      for (let at = 0; at < stream.length; at += step) {
        reader.push(stream.subarray(at, at + step));
        got.push(...drain(reader));
      }
      assert.deepEqual(got, ['aabbcc', '', '0102', 'ff'], `chunks of ${step}`);
      assert.equal(reader.midFrame, false);
      assert.equal(reader.bufferedBytes, 0);
    }
  });

  it('treats a negative length other than -1 as an empty message, as Python does', () => {
    const reader = new FrameReader(100);
    reader.push(fromHex('fffffff9 00000001 41'));
    assert.deepEqual(drain(reader), ['', '41']);
  });

  it('knows the next size from the header, before the payload is in', () => {
    const reader = new FrameReader(100);
    assert.equal(reader.nextSize(), undefined);
    reader.push(fromHex('00000005 6869'));
    assert.equal(reader.nextSize(), 5);
    assert.equal(reader.take(), undefined);
    assert.equal(reader.midFrame, true);
    reader.push(fromHex('212121'));
    assert.equal(reader.count, 1);
    assert.equal(reader.bufferedBytes, 5);
    assert.deepEqual(drain(reader), ['6869212121']);
  });

  it('refuses a header past the limit before allocating, and reads nothing more', () => {
    const reader = new FrameReader(1 << 20);
    // 2^40 bytes announced in the long form: a real allocation would throw a RangeError, not this.
    assert.throws(() => reader.push(fromHex('ffffffff 0000010000000000')), (error: unknown) => {
      assert.ok(error instanceof MessageTooLargeError);
      assert.equal(error.code, 'ERR_MP_MESSAGE_TOO_LARGE');
      assert.equal(error.size, 2 ** 40);
      assert.equal(error.limit, 1 << 20);
      return true;
    });
    reader.push(encodeFrame(fromHex('01')));
    assert.equal(reader.count, 0);
    const short = new FrameReader(4);
    short.push(encodeFrame(fromHex('01020304')));
    assert.throws(() => short.push(encodeFrame(fromHex('0102030405'))), MessageTooLargeError);
    assert.deepEqual(drain(short), ['01020304']);
  });

  it('holds the next few messages to a lower limit (a handshake\'s), and no more than those', () => {
    const reader = new FrameReader(1 << 20);
    reader.limitNext(3, 256);
    reader.push(new Uint8Array([...encodeFrame(new Uint8Array(256)), ...encodeFrame(new Uint8Array(9)), ...encodeFrame(new Uint8Array(40)), ...encodeFrame(new Uint8Array(1000))]));
    assert.deepEqual(drain(reader).map((frame) => frame.length / 2), [256, 9, 40, 1000]);
    const strict = new FrameReader(1 << 20);
    strict.limitNext(3, 256);
    strict.push(encodeFrame(new Uint8Array(10)));
    assert.throws(() => strict.push(encodeHeader(2 ** 30)), (error: unknown) => error instanceof MessageTooLargeError && error.limit === 256);
  });

  it('returns a payload that came in one chunk as a view of it, not a copy', () => {
    const chunk = encodeFrame(fromHex('0a0b0c'));
    const reader = new FrameReader(100);
    reader.push(chunk);
    const frame = reader.take()!;
    assert.equal(frame.buffer, chunk.buffer);
    assert.equal(frame.byteOffset, 4);
  });
});
