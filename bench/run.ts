// `npm run bench [-- FILTER]` runs every bench/*.bench.js and writes BENCHMARKS.md;
// `npm run bench:smoke` runs each on tiny sizes (CI keeps them working) and writes nothing.
// `--only=b6,b7` (either form, `npm run bench -- pool --only=b6,b7`) runs only those benchmarks of the pool file and
// writes nothing: a section measured in part would replace a whole one.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchContext, BenchModule, BenchSection } from './lib/context.js';
import { machineDescription } from './lib/stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const filters = args.filter((arg) => !arg.startsWith('--'));
const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',').filter((id) => id !== '') ?? [];

const files = readdirSync(here)
  .filter((file) => file.endsWith('.bench.js'))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();

const ctx: BenchContext = {
  smoke,
  rounds: smoke ? 1 : 5,
  only,
  log: (text) => process.stderr.write(`${text}\n`),
};

const sections: BenchSection[] = [];
let failed = 0;
for (const file of files) {
  ctx.log(`== ${file}${smoke ? ' (smoke)' : ''}`);
  const started = performance.now();
  try {
    const mod = (await import(pathToFileURL(path.join(here, file)).href)) as BenchModule;
    const section = await mod.run(ctx);
    sections.push(section);
    ctx.log(`   done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (!smoke) ctx.log(section.markdown);
  } catch (error) {
    failed++;
    ctx.log(`   FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

if (!smoke && only.length === 0 && sections.length > 0) {
  // Sections from this run replace those of the same title (or of a title they had before, in its place); the
  // others are kept as they were measured.
  const reportFile = path.resolve(here, '../../BENCHMARKS.md');
  const renamed = new Map(sections.flatMap((section) => (section.replaces ?? []).map((old) => [old, section.title] as const)));
  const kept = new Map<string, string>();
  if (existsSync(reportFile)) {
    for (const part of readFileSync(reportFile, 'utf8').split(/^## /m).slice(1)) {
      const newline = part.indexOf('\n');
      const title = part.slice(0, newline).trim();
      kept.set(renamed.get(title) ?? title, part.slice(newline + 1).trim());
    }
  }
  const stamp = `_Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench${filters.length > 0 ? ` -- ${filters.join(' ')}` : ''}\`._`;
  for (const section of sections) kept.set(section.title, `${stamp}\n\n${section.markdown.trim()}`);
  const report = [
    '# Benchmarks',
    '',
    'Produced by `npm run bench` (`npm run bench -- NAME` reruns one file and replaces its sections). Method: each ' +
      'measurement in a fresh process, contenders interleaved per round, median [min-max] over rounds, ratios ' +
      'computed per round then their median, steal time recorded per run. See bench/ for the code.',
    '',
    machineDescription(),
    '',
    ...[...kept].map(([title, body]) => `## ${title}\n\n${body}\n`),
  ].join('\n');
  writeFileSync(reportFile, report);
  ctx.log('wrote BENCHMARKS.md');
}
process.stdout.write(`benchmarks: ${sections.length} ran, ${failed} failed\n`);
process.exitCode = failed === 0 ? 0 : 1;
