// The manager fuzz, small: 2,000 malformed handshakes and frames against a running server (npm run fuzz:manager runs 100,000).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fuzzManager, limits } from './fuzz/manager-fuzz.js';

describe('managers: fuzzing the server', () => {
  it('stays up, runs nothing unauthenticated and resolves no global off the allow-list over 2,000 cases', async (t) => {
    const report = await fuzzManager(2000, 7);
    t.diagnostic(JSON.stringify({ ...report, byKind: undefined }));
    assert.equal(report.unauthenticatedCalls, 0);
    assert.equal(report.dangerousResolved, 0);
    assert.equal(report.unknownGlobalsNotRefused, 0);
    assert.equal(report.markerCreated, false);
    assert.equal(report.livenessFailures, 0);
    assert.ok(report.livenessChecks >= 2);
    assert.equal(report.hung, 0);
    assert.equal(report.serverExit, 0);
    // Nothing ever answered a request on a connection that had not authenticated.
    for (const [kind, outcomes] of Object.entries(report.byKind)) {
      for (const outcome of Object.keys(outcomes)) assert.doesNotMatch(outcome, /BREACH|still open/, `${kind}: ${outcome}`);
    }
    // The cases reached the server: refusals of every kind, replies to authenticated garbage, silent peers dropped at the deadline.
    assert.ok((report.byKind['wrong key, then a call']?.['refused, closed'] ?? 0) > 0);
    assert.ok((report.byKind['valid auth, unknown global']?.['#ERROR ERR_MP_PICKLE_GLOBAL'] ?? 0) > 0);
    assert.ok((report.byKind['valid auth, garbage pickle']?.['#ERROR'] ?? 0) > 0);
    assert.ok((report.byKind['slow sender, valid call']?.['#RETURN'] ?? 0) > 0);
    assert.ok(report.silentDropMs.count > 0 && report.silentDropMs.max < 5000);
    // The limit held: of more channels than it allows, some were dropped, and never more than the limit served.
    assert.ok(report.connectionLimit.dropped > 0);
    assert.ok(report.connectionLimit.served <= limits.maxConnections);
  });
});
