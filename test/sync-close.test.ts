// Closing an Event while a wait on it is pending rejects that wait with a coded error (it never hangs), and the
// program can then exit by itself.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Event } from '../src/index.js';
import { within } from './pool/harness.js';

describe('Event.close() with a wait pending', () => {
  it('rejects the pending wait with ERR_MP_SYNC_CLOSED, and later calls too', async () => {
    const event = new Event();
    const pending = event.wait();
    const timed = event.wait({ timeout: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    event.close();
    for (const wait of [pending, timed]) {
      await assert.rejects(within(wait, 5000, 'the pending wait'), { code: 'ERR_MP_SYNC_CLOSED', message: /closed while a wait on it was pending/ });
    }
    assert.equal(event.closed, true);
    await assert.rejects(event.wait(), { code: 'ERR_MP_SYNC_CLOSED' });
  });

  it('a wait that was set before the close still resolves true', async () => {
    const event = new Event();
    const pending = event.wait();
    event.set();
    assert.equal(await within(pending, 5000), true);
    event.close();
  });
});
