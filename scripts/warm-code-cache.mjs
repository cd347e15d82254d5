// Writes the bundle's V8 code caches (src/load-runtime.ts) by doing what a first run does: import the
// package, run a few tasks of the demo's task module on a pool of one worker thread, close it gracefully
// (a worker writes its cache as it exits). Run after each build and when the package is installed, as pip
// compiles .pyc files on install, so that a package folder the application cannot write (an image built
// as root and run as a user) still holds them. A failure here only warns: the caches are an optimization.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const index = new URL('../dist/pkg/index.js', import.meta.url);
// `npm ci` in a checkout runs the install script before `prepare` has built anything.
if (!existsSync(fileURLToPath(index))) process.exit(0);

setTimeout(() => {
  console.warn('multiproc: the code cache was not written (the warm-up run took over 30 s)');
  process.exit(0);
}, 30_000).unref();

try {
  const { Pool } = await import(index.href);
  const pool = new Pool({ workers: 1 });
  try {
    const tasks = pool.load(new URL('../dist/pkg/demo-tasks.js', import.meta.url));
    await tasks.countPrimes.map([[0, 1000], [1000, 2000], [2000, 3000]], { chunksize: 1 });
    await pool.apply(tasks.countPrimes, [[0, 100]]);
  } finally {
    await pool.close();
  }
} catch (error) {
  console.warn(`multiproc: the code cache was not written: ${error instanceof Error ? error.message : String(error)}`);
}
