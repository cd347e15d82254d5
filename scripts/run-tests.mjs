// Runs node's test runner over every compiled test file (dist/test/**/*.test.js), one file at a time.
// Node 20's runner takes no glob, and a bare folder would also run fixtures and helpers as tests.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const testDir = path.join(root, 'dist', 'test');
const filters = process.argv.slice(2);

function collect(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' || entry.name === 'helpers' ? [] : collect(full);
    return entry.name.endsWith('.test.js') ? [full] : [];
  });
}

const files = collect(testDir)
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error(`no test files under ${testDir}${filters.length > 0 ? ` matching ${filters.join(', ')}` : ''}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=120000', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
