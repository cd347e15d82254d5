import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fuzzPickle } from '../fuzz/pickle-fuzz.js';

describe('pickle: fuzzing', () => {
  it('gives 5,000 mutated pickles only coded ERR_MP_PICKLE_ errors (npm run fuzz:pickle runs 100,000)', (t) => {
    const report = fuzzPickle(5000);
    t.diagnostic(JSON.stringify({ ...report, failures: report.failures.length }));
    assert.deepEqual(report.failures, []);
    // The mutations reach past the first byte: some loads succeed, and the errors are of every kind.
    assert.ok(report.loaded > 100, `${report.loaded} loads succeeded`);
    for (const code of ['ERR_MP_PICKLE_TRUNCATED', 'ERR_MP_PICKLE_OPCODE', 'ERR_MP_PICKLE_INVALID', 'ERR_MP_PICKLE_GLOBAL', 'ERR_MP_PICKLE_UNSUPPORTED']) {
      assert.ok((report.codes[code] ?? 0) > 0, `some loads fail with ${code}`);
    }
  });
});
