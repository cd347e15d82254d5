// What util.inspect (and console.log) show for each primitive: its state, never the segment's words.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { Barrier, BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore } from '../src/index.js';
import { startProcess } from './helpers/agents.js';
import { firstLine } from './helpers/spawn.js';

describe('util.inspect of the sync primitives', () => {
  it('Lock and RLock show their owner', async () => {
    using lock = new Lock();
    assert.equal(inspect(lock), '<Lock(owner=none)>');
    lock.acquireSync();
    assert.equal(inspect(lock), `<Lock(owner=pid ${process.pid}, this thread)>`);
    lock.release();
    using rlock = new RLock();
    assert.equal(inspect(rlock), '<RLock(owner=none, count=0)>');
    rlock.acquireSync();
    rlock.acquireSync();
    assert.equal(inspect(rlock), `<RLock(owner=pid ${process.pid}, this thread, count=2)>`);
    rlock.release();
    rlock.release();
    const child = startProcess('hold', { lock });
    try {
      await firstLine(child);
      assert.equal(inspect(lock), `<Lock(owner=pid ${child.pid})>`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('Semaphore, Event, Condition and Barrier show their state', () => {
    using sem = new Semaphore(2);
    assert.equal(inspect(sem), '<Semaphore(value=2)>');
    using bounded = new BoundedSemaphore(3);
    bounded.tryAcquire();
    assert.equal(inspect(bounded), '<BoundedSemaphore(value=2, maxvalue=3)>');
    using event = new Event();
    assert.equal(inspect(event), '<Event unset>');
    event.set();
    assert.equal(inspect(event), '<Event set>');
    assert.equal(String(inspect({ event })), '{ event: <Event set> }');
    using cond = new Condition();
    assert.equal(inspect(cond), '<Condition(<RLock(owner=none, count=0)>, 0)>');
    using lock = new Lock();
    using overLock = new Condition(lock);
    assert.equal(inspect(overLock), '<Condition(<Lock(owner=none)>, 0)>');
    using barrier = new Barrier(3);
    assert.equal(inspect(barrier), '<Barrier parties=3 waiting=0>');
    for (const primitive of [sem, event, cond, barrier]) assert.doesNotMatch(inspect(primitive), /Int32Array|region|shm/);
    sem.close();
    assert.equal(inspect(sem), '<Semaphore closed>');
  });
});
