// The "did you mean" hint of a missing task name.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closestName } from '../../src/worker/closest-name.js';

describe('closestName', () => {
  const names = ['add', 'square', 'slowSquare', 'resizeImage'];

  it('finds a name one typo away: a missing, extra, wrong or swapped letter', () => {
    assert.equal(closestName('sqare', names), 'square');
    assert.equal(closestName('squarre', names), 'square');
    assert.equal(closestName('sqiare', names), 'square');
    assert.equal(closestName('sqaure', names), 'square');
  });

  it('finds a name that differs in case only', () => {
    assert.equal(closestName('Add', names), 'add');
    assert.equal(closestName('resizeimage', names), 'resizeImage');
  });

  it('suggests nothing when no name is close, nor the name itself', () => {
    assert.equal(closestName('frobnicate', names), undefined);
    assert.equal(closestName('sub', names), undefined, 'two edits are too many for a three-letter name');
    assert.equal(closestName('add', ['add']), undefined);
    assert.equal(closestName('anything', []), undefined);
  });

  it('takes the closest of several', () => {
    assert.equal(closestName('slowSqare', names), 'slowSquare');
  });
});
