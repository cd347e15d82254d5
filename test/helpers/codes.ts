// Assertions on an error's `code`, the stable part of multiproc's errors.
import assert from 'node:assert/strict';

export async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: { code?: string }) => {
    assert.equal(error.code, code);
    return true;
  });
}

export function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: { code?: string }) => {
    assert.equal(error.code, code);
    return true;
  });
}
