// Progress bars: plain lines when stderr is not a terminal, an in-place bar when it is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProgress, ProgressTracker } from '../src/observe/progress.js';
import { fixture, runNode } from './helpers/spawn.js';

describe('progress', () => {
  it('draws plain lines without escape codes when stderr is not a TTY', async () => {
    const result = await runNode(fixture('pool-progress-main.js'), ['thread'], 60_000);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), '40');
    const lines = result.stderr.trim().split('\n');
    assert.ok(lines.length >= 1);
    assert.match(lines.at(-1)!, /^sleep 100% \[#{20}\] 40\/40 [\d.]+\/s in \d+s$/);
    assert.ok(!result.stderr.includes('\u001b') && !result.stderr.includes('\r'), JSON.stringify(result.stderr));
  });

  it('redraws in place on a terminal and reports done, total, rate and ETA', () => {
    let written = '';
    const stream = { isTTY: true, write: (text: string) => (written += text) } as unknown as NodeJS.WriteStream;
    const seen: number[] = [];
    const tracker = new ProgressTracker(10, { label: 'job', bar: true, onProgress: (p) => seen.push(p.done), stream });
    tracker.add(4);
    tracker.add(6);
    tracker.finish();
    assert.deepEqual(seen, [4, 10]);
    assert.ok(written.startsWith('\rjob  40% [########............] 4/10'), JSON.stringify(written));
    assert.ok(written.endsWith('\x1b[K\n'));
    assert.equal(formatProgress('x', { done: 5, total: undefined, elapsedMs: 1000, rate: 5, etaMs: undefined }), 'x 5 done 5.0/s in 1s');
    assert.match(formatProgress('x', { done: 1, total: 4, elapsedMs: 1000, rate: 1, etaMs: 3000 }), /ETA 3s$/);
  });
});
