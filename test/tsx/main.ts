// Run with `node --import tsx main.ts <library URL> <backend>`: a TypeScript program whose task module is
// TypeScript; the workers must inherit the loader to import it.
type Library = typeof import('../../src/index.js');
type Tasks = typeof import('./tasks.js');

const [libraryUrl, backend] = process.argv.slice(2) as [string, 'thread' | 'process'];
const { Pool } = (await import(libraryUrl)) as Library;
const pool = new Pool({ workers: 2, backend });
const tasks = pool.load<Tasks>(new URL('./tasks.ts', import.meta.url));
const norms = await tasks.norm.map([{ x: 3, y: 4 }, { x: 6, y: 8 }]);
const flags = await tasks.loaderFlags();
await pool.close();
console.log(JSON.stringify({ norms, flags }));
