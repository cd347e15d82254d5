// The typed task API: test/types/pool-load.ts must compile, every `@ts-expect-error` in it on a real error.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { finish } from './helpers/spawn.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

function typeCheck(project: string): ReturnType<typeof finish> {
  return finish(spawn(process.execPath, [tsc, '--noEmit', '-p', project], { stdio: ['ignore', 'pipe', 'pipe'] }), 100_000);
}

describe('typed task modules', () => {
  it('wrong arguments, arities, results, items and non-task exports are type errors', async () => {
    const result = await typeCheck(path.join(root, 'test', 'types', 'tsconfig.json'));
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  it('a directive on a call that type-checks fails the check (so a loosened typing cannot pass)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'multiproc-types-'));
    try {
      const source = (file: string): string => JSON.stringify(path.join(root, file));
      writeFileSync(path.join(dir, 'loose.ts'), [
        `import type { Pool } from ${source('src/index.js')};`,
        `export async function check(pool: Pool, url: URL): Promise<void> {`,
        `  const tasks = pool.load<typeof import(${source('test/fixtures/pool-tasks.js')})>(url);`,
        `  // @ts-expect-error`,
        `  await tasks.add(1, 2);`,
        `}`,
      ].join('\n'));
      writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
        extends: path.join(root, 'tsconfig.json'),
        compilerOptions: { noEmit: true, incremental: false, rootDir: '/', typeRoots: [path.join(root, 'node_modules', '@types')] },
        include: [],
        files: ['loose.ts'],
      }));
      const result = await typeCheck(path.join(dir, 'tsconfig.json'));
      assert.notEqual(result.code, 0);
      assert.match(result.stdout, /loose\.ts\(4,\d+\): error TS2578: Unused '@ts-expect-error' directive/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
