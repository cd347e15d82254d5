import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { listSegments } from '../src/index.js';
import { finish, python, runNode, startNode, type RunResult } from './helpers/spawn.js';

const example = (name: string): string => fileURLToPath(new URL(`../examples/${name}`, import.meta.url));

/** What a clean run looks like: exit 0, and no segment left for the resource tracker to unlink. */
function assertClean(result: RunResult): void {
  assert.equal(result.code, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
  assert.doesNotMatch(result.stderr, /exited without unlinking/);
  assert.doesNotMatch(result.stderr, /leaked shared_memory/);
}

/**
 * Runs an example with its segments (its children's too: they inherit the environment) kept in a folder
 * of its own, and returns what is left in that folder once it has exited: other programs' segments in
 * /dev/shm cannot be mistaken for a leak.
 */
async function runInOwnShmDir(script: string, args: string[], timeout: number): Promise<RunResult & { left: string[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mp-example-'));
  try {
    const result = await finish(startNode(script, args, { ...process.env, MULTIPROC_SHM_DIR: dir }), timeout);
    return { ...result, left: readdirSync(dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('examples', () => {
  it('counter-value: 4 processes, one Value and its lock, an exact total', async () => {
    const result = await runNode(example('counter-value.js'), [], 60_000);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /counter = 40000 \(expected 40000\): exact/);
  });

  it('frame-ring: frames through N slots with two semaphores, none damaged or out of order', async () => {
    const result = await runNode(example('frame-ring.js'), ['60', '3'], 60_000);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /60 frames of 1080x720x3 through 3 slots: \d+ frames\/s .*, 0 damaged or out of order/);
    assert.doesNotMatch(result.stderr, /exited without unlinking/);
  });

  it('frame-event: a writer Process fills a SharedMemory and sets an Event, a reader Process sums it, and Python reads the same bytes', async () => {
    const child = startNode(example('frame-event.js'), [`--python=${python}`]);
    const result = await finish(child, 60_000);
    assertClean(result);
    // The sum of the example's pattern, computed here on its own.
    let expected = 0;
    for (let y = 0; y < 720; y++) for (let x = 0; x < 1080; x++) for (let c = 0; c < 3; c++) expected += (x * 3 + y * 7 + c * 101) % 256;
    const line = /^frame 1080x720x3 in (psm_[0-9a-f]{8}): writer exit 0, reader exit 0, sum (\d+), 0 bytes wrong; python: sum (\d+), layout ok$/m.exec(result.stdout);
    assert.ok(line, `unexpected output: ${result.stdout}`);
    const [, name, nodeSum, pythonSum] = line;
    assert.equal(Number(nodeSum), expected, 'the reader summed the whole frame the writer wrote');
    assert.equal(Number(pythonSum), expected, 'Python saw the same bytes');
    assert.equal(existsSync(`/dev/shm/${name!}`), false, 'the example unlinked its frame (and Python did not unlink it first)');
    assert.deepEqual(listSegments().filter((segment) => segment.pid === child.pid && segment.size !== undefined), [], 'no segment of the run is left');
  });

  it('producers-consumer: 2 producer Processes and a consumer share a Queue of frames; none lost, duplicated or damaged', async () => {
    const result = await runInOwnShmDir(example('producers-consumer.js'), ['12'], 90_000);
    assertClean(result);
    assert.match(result.stdout, /^2 producers x 12 frames: 24 received, 0 lost, 0 duplicated, 0 damaged$/m);
    assert.deepEqual(result.left, [], 'the queue, the counts and every frame spilled to a segment of its own are gone');
  });

  it('shareable-list-sum: two Processes sum the halves of a manager\'s ShareableList(range(2000)); shutdown leaves no segment', async () => {
    const result = await runInOwnShmDir(example('shareable-list-sum.js'), [], 60_000);
    assertClean(result);
    assert.match(result.stdout, /^sum of range\(2000\) = 499500 \+ 1499500 = 1999000 \(expected 1999000\); manager shut down, 0 of its 2 segments left$/m);
    assert.deepEqual(result.left, [], 'the manager unlinked both lists');
  });

  it('table-sum: an Arrow table put once is summed by 2 worker processes reading it in place, and sent to each; exact sums, nothing left', async () => {
    const result = await runInOwnShmDir(example('table-sum.js'), ['20000', '2', 'process'], 120_000);
    assertClean(result);
    assert.match(result.stdout, /^table: 20000 rows \(date, float64 with NaN, string\) as an Arrow Table/m);
    assert.match(result.stdout, /^shared \(pool\.put, one copy in shared memory\): 2 process workers, sums exact \(2 workers, reading shared memory\) in \d+ ms; tree PSS [\d.]+ -> [\d.]+ MB: \+-?[\d.]+ MB = the table once \+ -?[\d.]+ MB per worker$/m);
    assert.match(result.stdout, /^sent \(a copy to each worker\): 2 process workers, sums exact \(2 workers, reading private copies\) in \d+ ms; tree PSS [\d.]+ -> [\d.]+ MB: \+-?[\d.]+ MB = -?[\d.]+ MB per worker$/m);
    assert.deepEqual(result.left, [], 'the table and the barriers are gone');
  });

  it('big-map: a Map of 50,000 entries put once serves 200 tasks, decoded once per worker', async () => {
    const result = await runInOwnShmDir(example('big-map.js'), ['50000', '200', 'process'], 120_000);
    assertClean(result);
    const line = /^Map of 50000 entries put once \([\d.]+ MB encoded\), 200 tasks on process: total exact, \d+ ms, [\d.]+ ms per task; decoded ([\d +]+) time\(s\) in ([12]) worker\(s\)$/m.exec(result.stdout);
    assert.ok(line, `unexpected output: ${result.stdout}`);
    assert.deepEqual(line[1]!.split(' + ').map(Number), Array(Number(line[2])).fill(1), 'each worker decoded the Map once');
    assert.match(result.stdout, /^sent with each task: [\d.]+ ms per task \(20 tasks\): \d+x slower$/m);
    assert.deepEqual(result.left, [], 'the Map\'s segment is gone');
  });
});
