// Pools in programs Node runs from a string (`node -e`, `node -p`, `node --input-type=module -e`): the workers
// must run the worker entry, not the string again (which would start a pool, whose workers would start one...).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { finish } from './helpers/spawn.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tasksUrl = new URL('./fixtures/package-tasks.js', import.meta.url).href;
const tsTasksUrl = new URL('../../test/tsx/tasks.ts', import.meta.url).href;
// By URL: tsx would resolve the bare name through tsconfig's `paths` to the TypeScript sources.
const bundleUrl = new URL('../pkg/index.js', import.meta.url).href;

/**
 * The program: a pool of two, one task per item, then a look at this process's descendants while the pool is
 * up (its workers, and maybe the resource tracker, are children; nothing may be a grandchild), then close.
 * Written to run as CommonJS and as an ES module alike.
 */
function program(backend: 'thread' | 'process'): string {
  return `(async () => {
  const fs = process.getBuiltinModule('node:fs');
  const { Pool } = await import('multiproc');
  const pool = new Pool({ workers: 2, backend: ${JSON.stringify(backend)} });
  const tasks = pool.load(${JSON.stringify(tasksUrl)});
  const placed = await tasks.place.map([1, 2, 3, 4], { chunksize: 1, timeout: 20000 });
  // Both workers up (one may have run all four tasks while the other started).
  for (const until = Date.now() + 10000; pool.stats().workers.some(({ pid }) => pid === 0) && Date.now() < until;) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const parents = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync('/proc/' + entry + '/stat', 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {}
  }
  const depth = (pid) => {
    let steps = 0;
    for (let at = pid; at !== undefined && at > 1; at = parents.get(at), steps++) if (at === process.pid) return steps;
    return -1;
  };
  const descendants = [...parents.keys()].map((pid) => ({ pid, depth: depth(pid) })).filter(({ depth }) => depth > 0);
  const workerPids = pool.stats().workers.map(({ pid }) => pid);
  await pool.close();
  console.log(JSON.stringify({ xs: placed.map(({ point }) => point.x), workerPids, descendants, self: process.pid }));
})().catch((error) => { console.error(error); process.exit(1); });`;
}

interface Report {
  xs: number[];
  workerPids: number[];
  descendants: { pid: number; depth: number }[];
  self: number;
}

async function run(flags: string[], timeout = 20_000): Promise<{ report: Report; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, flags, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const result = await finish(child, timeout);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Report;
  return { report, ms: Date.now() - started };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const modes: { name: string; flags: (code: string) => string[] }[] = [
  { name: 'node -e', flags: (code) => ['-e', code] },
  { name: 'node --eval=', flags: (code) => [`--eval=${code}`] },
  { name: 'node -p', flags: (code) => ['-p', code] },
  { name: 'node --input-type=module -e', flags: (code) => ['--input-type=module', '-e', code] },
];

describe('pools in programs run from a string', () => {
  for (const backend of ['process', 'thread'] as const) {
    for (const mode of modes) {
      it(`${mode.name} runs a ${backend} pool's tasks in its workers and exits, with no pool started inside them`, async () => {
        const { report, ms } = await run(mode.flags(program(backend)));
        assert.deepEqual(report.xs, [1, 2, 3, 4]);
        assert.ok(ms < 15_000, `took ${ms} ms`);
        assert.deepEqual(report.descendants.filter(({ depth }) => depth > 1), [], 'no worker started processes of its own');
        if (backend === 'process') {
          assert.equal(report.workerPids.length, 2);
          assert.ok(report.workerPids.every((pid) => pid !== report.self && report.descendants.some((d) => d.pid === pid && d.depth === 1)));
          // Two workers and at most the resource tracker.
          assert.ok(report.descendants.length <= 3, `descendants: ${JSON.stringify(report.descendants)}`);
          assert.ok(report.workerPids.every((pid) => !alive(pid)), 'the workers are gone once the program has exited');
        } else {
          assert.deepEqual(report.workerPids, [report.self, report.self]);
        }
      });
    }
  }

  it('a thread pool starts under --input-type with flags of the whole process, which a thread may not be given', async () => {
    const { report } = await run(['--input-type=module', '--max-old-space-size=300', '--title=mp-eval', '--stack-size=900',
      '--expose-gc', '--no-warnings', '-e', program('thread')]);
    assert.deepEqual(report.xs, [1, 2, 3, 4]);
  });

  for (const backend of ['process', 'thread'] as const) {
    it(`--import tsx still reaches ${backend} workers of an eval'd ES module, which import a .ts task module`, async () => {
      const code = `const { Pool } = await import(${JSON.stringify(bundleUrl)});
const pool = new Pool({ workers: 1, backend: ${JSON.stringify(backend)} });
const tasks = pool.load(${JSON.stringify(tsTasksUrl)});
const norms = await tasks.norm.map([{ x: 3, y: 4 }], { timeout: 30000 });
const flags = await tasks.loaderFlags();
await pool.close();
console.log(JSON.stringify({ norms, flags }));`;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      const result = await finish(child, 60_000);
      assert.equal(result.code, 0, result.stderr);
      const output = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { norms: number[]; flags: string[] };
      assert.deepEqual(output.norms, [5]);
      assert.deepEqual(output.flags, ['--import', 'tsx'], 'the worker has the loader and nothing of the eval');
    });
  }
});
