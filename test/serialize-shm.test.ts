// The codec's shared-memory handles: they need the native addon, so they live outside test/unit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { native } from '../src/native/binding.js';
import { bytesToPacket, decodeSync, encode, packetToBytes, registerHandle, SharedMemory } from '../src/index.js';
import { SharedVector } from './fixtures/codec-classes.js';

describe('codec: shared handles travel by reference', () => {
  it('sends any registered handle type by reference and re-attaches it on the way in', () => {
    class Mailbox {
      constructor(readonly shm: SharedMemory) {}
    }
    registerHandle<Mailbox>({
      name: 'test.Mailbox',
      type: Mailbox,
      toRef: (box) => ({ segment: box.shm.name }),
      fromRef: (ref) => new Mailbox(SharedMemory.attach((ref as { segment: string }).segment)),
    });
    const shm = SharedMemory.create(16);
    try {
      new Uint8Array(shm.buf)[0] = 7;
      const decoded = decodeSync(encode([new Mailbox(shm)])) as Mailbox[];
      assert.ok(decoded[0] instanceof Mailbox);
      assert.notEqual(decoded[0].shm, shm);
      assert.equal(new Uint8Array(decoded[0].shm.buf)[0], 7);
      decoded[0].shm.close();
    } finally {
      shm.close();
      shm.unlink();
    }
  });

  it('sends SharedMemory by name; the receiver attaches to the same memory', () => {
    const shm = SharedMemory.create(64);
    try {
      const vector = new SharedVector(shm);
      vector.values[0] = 1.25;
      const packet = encode({ shm, vector, again: shm });
      assert.ok(packet.data.byteLength < 200, 'no copy of the memory');
      const decoded = decodeSync(bytesToPacket(packetToBytes(packet))) as { shm: SharedMemory; vector: SharedVector; again: SharedMemory };
      try {
        assert.ok(decoded.shm instanceof SharedMemory);
        assert.notEqual(decoded.shm, shm, 'a new handle');
        assert.equal(decoded.shm.name, shm.name);
        assert.equal(decoded.again, decoded.shm, 'one handle per reference');
        assert.ok(decoded.vector instanceof SharedVector);
        assert.equal(decoded.vector.shm, decoded.shm, 'the reduce hook got the same handle');
        assert.equal(decoded.vector.values[0], 1.25);
        decoded.vector.values[1] = 7;
        assert.equal(vector.values[1], 7, 'writes through the received handle reach the original');
      } finally {
        decoded.shm.close();
      }
    } finally {
      shm.close();
      shm.unlink();
    }
  });

  it('fails clearly when the segment is gone, and closes what it attached', () => {
    const shm = SharedMemory.create(16);
    const other = SharedMemory.create(16);
    const bytes = packetToBytes(encode([other, shm]));
    shm.close();
    shm.unlink();
    const mapped = native().mappedCount();
    try {
      assert.throws(() => decodeSync(bytesToPacket(bytes)), (error: Error & { code?: string; cause?: { code?: string } }) => {
        assert.equal(error.code, 'ERR_MP_DECODE_HANDLE');
        assert.equal(error.cause?.code, 'ERR_MP_SHM_NOT_FOUND');
        return true;
      });
      assert.equal(native().mappedCount(), mapped, 'the segment attached before the failure was closed again');
    } finally {
      other.close();
      other.unlink();
    }
  });
});
