// One mapping per process for the object store's segments (SharedMemory.createShared / attachShared): a
// second attach in the process reuses the first mapping, and the mapping goes only at the last close (the
// addon's releaser thread swaps it out just after).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { native } from '../src/native/binding.js';
import { SharedMemory } from '../src/shm/shared-memory.js';
import { waitUntil } from './helpers/spawn.js';

/** Lines of this process's /proc/self/maps that map the segment (also once it was unlinked). */
function mappingsOf(name: string): number {
  const line = new RegExp(`/dev/shm/${name}( \\(deleted\\))?$`);
  return readFileSync('/proc/self/maps', 'utf8').split('\n').filter((entry) => line.test(entry)).length;
}

describe('SharedMemory: one mapping per process for shared opens', () => {
  it('a second attach shares the first mapping; it is unmapped only at the last close', async () => {
    const owner = SharedMemory.createShared(64 * 1024);
    try {
      const regions = native().regionCount();
      const handles = native().mappedCount();
      const ownerView = new Float64Array(owner.buf);
      ownerView[3] = 1.5;
      assert.equal(mappingsOf(owner.name), 1);
      const first = SharedMemory.attachShared(owner.name);
      const second = SharedMemory.attachShared(owner.name);
      assert.equal(mappingsOf(owner.name), 1, 'the attaches reused the creator\'s mapping');
      assert.equal(native().regionCount(), regions, 'no new mapping behind the two handles');
      assert.equal(native().mappedCount(), handles + 2, 'but two more open handles');
      const firstView = new Float64Array(first.buf);
      assert.equal(firstView[3], 1.5);
      ownerView[4] = 2.5;
      assert.equal(new Float64Array(second.buf)[4], 2.5, 'the same memory');

      owner.close();
      first.close();
      assert.equal(mappingsOf(owner.name), 1, 'one handle is still open: the mapping stays');
      assert.equal(firstView[3], 1.5, 'and a closed handle\'s buffer still reads the segment meanwhile');
      owner.unlink();
      assert.equal(mappingsOf(owner.name), 1, 'unlinking keeps an existing mapping');
      assert.equal(new Float64Array(second.buf)[3], 1.5);
      second.close();
      assert.equal(native().mappedCount(), handles - 1);
      assert.equal(native().regionCount(), regions - 1);
      await waitUntil(() => mappingsOf(owner.name) === 0, 10_000, 'the last close to unmap the segment');
      assert.equal(firstView[3], 0, 'every old buffer now reads private zero pages');
      assert.equal(ownerView[4], 0);
    } finally {
      owner.close();
      try {
        owner.unlink();
      } catch {
        // Unlinked above.
      }
    }
  });

  it('a plain attach keeps a mapping of its own, whose close zeros only its own buffers', () => {
    using owner = SharedMemory.createShared(4096);
    try {
      new Uint8Array(owner.buf)[0] = 7;
      const plain = SharedMemory.attach(owner.name);
      assert.equal(mappingsOf(owner.name), 2, 'SharedMemory.attach maps the segment again, as it always did');
      const view = new Uint8Array(plain.buf);
      plain.close();
      assert.equal(view[0], 0);
      assert.equal(new Uint8Array(owner.buf)[0], 7);
      assert.equal(mappingsOf(owner.name), 1);
    } finally {
      owner.unlink();
    }
  });

  it('a name unlinked and made again is a different segment: attachShared does not return the old mapping', () => {
    const old = SharedMemory.createShared(4096);
    const name = old.name;
    new Uint8Array(old.buf)[0] = 1;
    old.unlink();
    // The same name made again (the old mapping is still listed as this process's mapping of the old file).
    const again = new SharedMemory({ name, create: true, size: 4096 });
    try {
      new Uint8Array(again.buf)[0] = 2;
      using attached = SharedMemory.attachShared(name);
      assert.equal(new Uint8Array(attached.buf)[0], 2, 'the attach reached the new segment');
      assert.equal(new Uint8Array(old.buf)[0], 1, 'the old mapping is untouched');
      assert.equal(mappingsOf(name), 3, 'old, new (plain) and the attach: the old mapping was not reused');
    } finally {
      old.close();
      again.close();
      again.unlink();
    }
  });
});
