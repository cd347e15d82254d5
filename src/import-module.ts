// The one place multiproc imports a module by URL at run time (task modules, modules a decoded value
// names, `--import` flags in a worker). In the package bundle the library runs as scripts compiled with a
// V8 code cache (see src/load-runtime.ts), and a script's own `import()` would need a vm callback that
// Node 20 loses when the script comes from a cache; there the bundle's ES loader module imports for it.

/** Defined by scripts/bundle.mjs in the runtime scripts as the loader's `(url) => import(url)`; absent elsewhere. */
declare const MULTIPROC_IMPORT: ((url: string) => Promise<unknown>) | undefined;

export function importModule(url: string): Promise<unknown> {
  return typeof MULTIPROC_IMPORT === 'undefined' ? import(url) : MULTIPROC_IMPORT(url);
}
