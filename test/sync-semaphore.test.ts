// Semaphore and BoundedSemaphore, ported from CPython's _TestSemaphore, and the value's 2^31-1 limit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedSemaphore, Semaphore } from '../src/index.js';
import { inProcess, inThread } from './helpers/agents.js';
import { throwsCode } from './helpers/codes.js';

const max = 2 ** 31 - 1;

/** CPython's _test_semaphore: two units, taken, refused, given back. */
function countsDownAndUp(sem: Semaphore): void {
  assert.equal(sem.value, 2);
  assert.equal(sem.acquireSync(), true);
  assert.equal(sem.value, 1);
  assert.equal(sem.acquireSync(), true);
  assert.equal(sem.value, 0);
  assert.equal(sem.tryAcquire(), false);
  assert.equal(sem.value, 0);
  sem.release();
  assert.equal(sem.value, 1);
  sem.release();
  assert.equal(sem.value, 2);
}

describe('Semaphore (CPython _TestSemaphore)', () => {
  it('test_semaphore: counts down and up, and past its initial value', () => {
    using sem = new Semaphore(2);
    countsDownAndUp(sem);
    sem.release();
    assert.equal(sem.value, 3);
    sem.release();
    assert.equal(sem.value, 4);
  });

  it('test_bounded_semaphore: counts down and up, and refuses to pass its initial value', () => {
    using sem = new BoundedSemaphore(2);
    countsDownAndUp(sem);
    throwsCode(() => sem.release(), 'ERR_MP_SEMAPHORE_OVERFLOW');
    assert.equal(sem.value, 2);
    throwsCode(() => sem.release(2 ** 31), 'ERR_MP_SEMAPHORE_OVERFLOW');
    assert.equal(sem.value, 2, 'a refused release changes nothing');
  });

  it('test_timeout: acquire gives up after its timeout', async () => {
    using sem = new Semaphore(0);
    let started = performance.now();
    assert.equal(sem.acquireSync({ timeout: 0 }), false);
    assert.equal(await sem.acquire({ timeout: 100 }), false);
    assert.ok(performance.now() - started >= 95);
    started = performance.now();
    assert.equal(sem.acquireSync({ timeout: 100 }), false);
    assert.ok(performance.now() - started >= 95);
  });

  it('release(n) may not pass 2^31-1: a RangeError naming the limit, and nothing released', async () => {
    using sem = new Semaphore(0);
    assert.throws(() => sem.release(2 ** 31), (error: Error) => error instanceof RangeError && error.message.startsWith('Expected `n` to be at most 2147483647') && error.message.includes('2^31-1'));
    assert.equal(sem.value, 0, 'the value did not wrap negative');
    sem.release(1);
    assert.equal(sem.tryAcquire(), true, 'later acquires still work');
    sem.release(max);
    assert.equal(sem.value, max);
    assert.throws(() => sem.release(), RangeError);
    assert.equal(sem.value, max);
    assert.equal(await sem.acquire({ timeout: 1000 }), true);
    assert.equal(sem.value, max - 1);
    assert.throws(() => sem.release(1.5), RangeError);
  });

  it('a party in another thread or process sees the same limit', async () => {
    using sem = new Semaphore(2);
    for (const result of [...await inThread('semaphore-hold', { semaphore: sem, timeout: 1000 }), ...await inProcess('semaphore-hold', { semaphore: sem, timeout: 1000 })]) {
      assert.deepEqual(result, { got: true });
    }
    assert.equal(sem.value, 0);
    sem.release(max);
    assert.throws(() => sem.release(1), RangeError);
    assert.equal(sem.value, max);
  });
});
