// The one place multiproc imports a module by URL at run time (task modules, modules a decoded value
// names, `--import` flags in a worker). In the package bundle the library runs as scripts compiled with a
// V8 code cache (see src/load-runtime.ts), and a script's own `import()` would need a vm callback that
// Node 20 loses when the script comes from a cache; there the bundle's ES loader module imports for it.

/** Defined by scripts/bundle.mjs in the runtime scripts as the loader's `(url) => import(url)`; absent elsewhere. */
declare const MULTIPROC_IMPORT: ((url: string) => Promise<unknown>) | undefined;

export function importModule(url: string): Promise<unknown> {
  return typeof MULTIPROC_IMPORT === 'undefined' ? import(url) : MULTIPROC_IMPORT(url);
}

/**
 * The module at a `file:` URL loaded synchronously, as `require` loads an ES module (Node 20.19+ and 22.12+;
 * the same instance `import()` gives), or `undefined` where Node cannot: an older Node, a module that awaits
 * at its top level, a URL that is not a file. A module that throws as it loads throws here.
 */
export function importModuleSync(url: string): unknown {
  if ((process.features as { require_module?: boolean }).require_module !== true || !url.startsWith('file:')) return undefined;
  const { createRequire } = process.getBuiltinModule('node:module');
  const { fileURLToPath } = process.getBuiltinModule('node:url');
  // Not the addon (src/native/ loads that): an ES module, by its path.
  const requireFrom = createRequire(url);
  try {
    return requireFrom(fileURLToPath(url));
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_REQUIRE_ASYNC_MODULE') return undefined;
    throw error;
  }
}
