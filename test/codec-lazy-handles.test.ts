import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode, Lock, packetToBytes, Pipe, Queue, SharedMemory, Value } from '../src/index.js';
import { fixture, runNode } from './helpers/spawn.js';

describe('codec: built-in handle types load on demand', () => {
  it('a process that imported only the codec imports the handle modules when it first decodes one', async () => {
    using shm = new SharedMemory({ create: true, size: 16 });
    new Uint8Array(shm.buf)[0] = 42;
    const lock = new Lock();
    const value = new Value('i', 7);
    const queue = new Queue<string>();
    const [here, there] = Pipe<string>();
    try {
      queue.putNowait('queued');
      here.sendSync('piped');
      const bytes = Buffer.from(packetToBytes(encode([shm, lock, value, queue, there]))).toString('base64');
      const result = await runNode(fixture('codec-lazy-handles.js'), [bytes]);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), {
        registeredBefore: [], syncCode: 'ERR_MP_DECODE_NEEDS_IMPORT', names: ['SharedMemory', 'Lock', 'Value', 'Queue', 'Connection'], firstByte: 42, value: 7, queued: 'queued', piped: 'piped',
        again: true,
      });
    } finally {
      queue.close();
      here.close();
      there.close();
      shm.unlink();
    }
  });
});
