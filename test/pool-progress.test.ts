// Progress bars: plain lines when stderr is not a terminal, an in-place bar when it is (tested on a real
// pseudo-terminal); the 0% frame at once, updates within the interval drawn when it is up, the end once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProgress, ProgressTracker } from '../src/observe/progress.js';
import { runNodeOnPty } from './helpers/pty.js';
import { fixture, runNode } from './helpers/spawn.js';

/** A stream that records each write and lets a test wait for the next one. */
class FakeStream {
  readonly writes: string[] = [];
  #waiting: (() => void) | undefined;

  constructor(readonly isTTY: boolean) {}

  write(text: string): boolean {
    this.writes.push(text);
    this.#waiting?.();
    return true;
  }

  /** Resolves once the stream holds more than `count` writes; rejects after `timeout` ms. */
  async written(count: number, timeout = 10_000): Promise<void> {
    const deadline = setTimeout(() => this.#waiting?.(), timeout);
    try {
      while (this.writes.length <= count) {
        await new Promise<void>((resolve) => (this.#waiting = resolve));
        if (this.writes.length <= count) throw new Error(`no write within ${timeout} ms; so far ${JSON.stringify(this.writes)}`);
      }
    } finally {
      clearTimeout(deadline);
      this.#waiting = undefined;
    }
  }

  get asStream(): NodeJS.WriteStream {
    return this as unknown as NodeJS.WriteStream;
  }
}

/** A clock the test sets by hand. */
function manualClock(): { now: () => number; at: (ms: number) => void } {
  let time = 0;
  return { now: () => time, at: (ms) => (time = ms) };
}

/** The `done` count a line or frame shows (`3/4`). */
function doneOf(line: string): number {
  const match = /\s(\d+)\/\d+\s/.exec(line);
  assert.ok(match !== null, `no count in ${JSON.stringify(line)}`);
  return Number(match[1]);
}

/** Checks that each line or frame shows a larger count than the one before (none repeats or goes back). */
function assertCountsRise(lines: string[]): void {
  const counts = lines.map(doneOf);
  for (let i = 1; i < counts.length; i++) assert.ok(counts[i]! > counts[i - 1]!, `counts ${counts.join(', ')} in ${JSON.stringify(lines)}`);
}

/** Waits well past a timer a tracker set before this call to fire in `dueMs` (timers fire in deadline order). */
function pastTimer(dueMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 2 * dueMs));
}

describe('progress off a terminal', () => {
  it('prints a 0% line at the start, then each count once and the final line once, without escape codes', async () => {
    // One worker, two tasks of 1.1 s: each completion is past the 1 s line interval, so add() prints the last
    // count itself and finish() must not print it again.
    const result = await runNode(fixture('pool-progress-main.js'), ['thread', '2', '1100', '1'], 60_000);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), '2');
    assert.ok(!result.stderr.includes('\u001b') && !result.stderr.includes('\r'), JSON.stringify(result.stderr));
    assert.ok(result.stderr.endsWith('\n'), JSON.stringify(result.stderr));
    const lines = result.stderr.slice(0, -1).split('\n');
    assert.match(lines[0]!, /^sleep {3}0% \[\.{20}\] 0\/2 /);
    for (let i = 1; i < lines.length; i++) assert.notEqual(lines[i], lines[i - 1], JSON.stringify(lines));
    assertCountsRise(lines);
    assert.equal(lines.filter((line) => line.includes(' 2/2 ')).length, 1, JSON.stringify(lines));
    assert.match(lines.at(-1)!, /^sleep 100% \[#{20}\] 2\/2 [\d.]+\/s in \d+s$/);
  });

  it('prints a count at most once a second, an update within the second when it is up, and nothing after the end', async () => {
    const stream = new FakeStream(false);
    const clock = manualClock();
    const tracker = new ProgressTracker(10, { label: 'job', bar: true, onProgress: undefined, stream: stream.asStream, now: clock.now });
    assert.deepEqual(stream.writes, ['job   0% [....................] 0/10 0.0/s in 0s\n']);
    clock.at(1000);
    tracker.add(5);
    clock.at(2000);
    tracker.add(5);
    assert.deepEqual(stream.writes.slice(1), ['job  50% [##########..........] 5/10 5.0/s ETA 1s\n', 'job 100% [####################] 10/10 5.0/s in 2s\n']);
    tracker.finish();
    tracker.finish();
    assert.equal(stream.writes.length, 3, 'the final line again');

    // The last count within the interval: finish() prints it at once and its pending timer never does.
    const late = new FakeStream(false);
    const lateClock = manualClock();
    const lateTracker = new ProgressTracker(4, { label: 'job', bar: true, onProgress: undefined, stream: late.asStream, now: lateClock.now });
    lateClock.at(950);
    lateTracker.add(4);
    assert.equal(late.writes.length, 1);
    lateTracker.finish();
    assert.equal(late.writes.length, 2);
    assert.match(late.writes[1]!, /^job 100% .* 4\/4 /);
    lateTracker.add(1);
    await pastTimer(50);
    assert.equal(late.writes.length, 2, JSON.stringify(late.writes));
  });
});

describe('progress on a terminal', () => {
  for (const call of ['map', 'imap']) {
    it(`${call}: draws 0% before any task ends, redraws in place and ends with 100% and a newline, once`, async () => {
      // Tasks of 300 ms, two at a time: the first frame can only be the one drawn as the call starts.
      const result = await runNodeOnPty(fixture('pool-progress-main.js'), ['thread', '4', '300', '2', call], 60_000);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      // The terminal shows stdout and stderr together and turns each "\n" into "\r\n".
      assert.ok(result.stdout.endsWith('\r\n4\r\n'), JSON.stringify(result.stdout));
      const bar = result.stdout.slice(0, -'4\r\n'.length);
      assert.ok(bar.startsWith('\r') && bar.endsWith('\u001b[K\r\n'), JSON.stringify(bar));
      assert.equal(bar.indexOf('\n'), bar.length - 1, `a newline before the end: ${JSON.stringify(bar)}`);
      const frames = bar.slice(1, -'\u001b[K\r\n'.length).split('\u001b[K\r');
      assert.ok(frames.every((frame) => !frame.includes('\r') && !frame.includes('\u001b')), JSON.stringify(frames));
      assert.match(frames[0]!, /^sleep {3}0% \[\.{20}\] 0\/4 /);
      assertCountsRise(frames);
      assert.equal(frames.filter((frame) => frame.includes(' 4/4 ')).length, 1, JSON.stringify(frames));
      assert.match(frames.at(-1)!, /^sleep 100% \[#{20}\] 4\/4 [\d.]+\/s in \d+s$/);
    });
  }

  it('draws an update that came within 100 ms of the last frame once the 100 ms are up, with no further add()', async () => {
    const stream = new FakeStream(true);
    const clock = manualClock();
    const seen: number[] = [];
    const tracker = new ProgressTracker(10, { label: 'job', bar: true, onProgress: (p) => seen.push(p.done), stream: stream.asStream, now: clock.now });
    assert.deepEqual(stream.writes, ['\rjob   0% [....................] 0/10 0.0/s in 0s\u001b[K']);
    clock.at(10);
    tracker.add(4);
    clock.at(20);
    tracker.add(2);
    assert.equal(stream.writes.length, 1, 'drawn within the interval');
    assert.deepEqual(seen, [4, 6]);
    clock.at(100);
    await stream.written(1);
    // Both updates came within the interval: the redraw shows the latest.
    assert.deepEqual(stream.writes.slice(1), ['\rjob  60% [############........] 6/10 60.0/s ETA 0s\u001b[K']);
    tracker.finish();
    assert.deepEqual(stream.writes.slice(2), ['\n'], 'the 6/10 frame drawn again at the end');
    tracker.add(4);
    assert.equal(stream.writes.length, 3, 'drawn after the end');
  });

  it('ends with the last count drawn in place and a newline when finish() comes before its redraw', async () => {
    const stream = new FakeStream(true);
    const clock = manualClock();
    const tracker = new ProgressTracker(10, { label: 'job', bar: true, onProgress: undefined, stream: stream.asStream, now: clock.now });
    clock.at(50);
    tracker.add(4);
    tracker.add(6);
    tracker.finish();
    assert.deepEqual(stream.writes, ['\rjob   0% [....................] 0/10 0.0/s in 0s\u001b[K', '\rjob 100% [####################] 10/10 200/s in 0s\u001b[K\n']);
    // A chunk that comes back after the end (a failed call's) is counted, never drawn, by add() or the timer.
    tracker.add(1);
    await pastTimer(50);
    assert.equal(stream.writes.length, 2, JSON.stringify(stream.writes));
  });

  it('draws nothing without `bar`, and formats counts without a total', () => {
    const stream = new FakeStream(true);
    const seen: number[] = [];
    const tracker = new ProgressTracker(10, { label: 'job', bar: false, onProgress: (p) => seen.push(p.done), stream: stream.asStream });
    tracker.add(4);
    tracker.add(6);
    tracker.finish();
    assert.deepEqual(seen, [4, 10]);
    assert.deepEqual(stream.writes, []);
    assert.equal(formatProgress('x', { done: 5, total: undefined, elapsedMs: 1000, rate: 5, etaMs: undefined }), 'x 5 done 5.0/s in 1s');
    assert.match(formatProgress('x', { done: 1, total: 4, elapsedMs: 1000, rate: 1, etaMs: 3000 }), /ETA 3s$/);
  });
});
