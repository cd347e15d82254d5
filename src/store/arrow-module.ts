// apache-arrow, loaded only when an Arrow value is put or a stored one is read: the rest of multiproc never loads it.
import type * as Arrow from 'apache-arrow';
import { importModule, importModuleSync } from '../import-module.js';
import { StoreArrowError } from './errors.js';

export type ArrowModule = typeof Arrow;

let loaded: ArrowModule | undefined;

/**
 * The URL of apache-arrow's ES module build, the one an application's `import 'apache-arrow'` loads, so that
 * the tables a worker gets are of the application's own classes (`instanceof Table` holds). `require.resolve`
 * names the CommonJS build; the ES one sits beside it.
 */
function esmUrl(): string {
  const { createRequire } = process.getBuiltinModule('node:module');
  const { existsSync } = process.getBuiltinModule('node:fs');
  const { pathToFileURL } = process.getBuiltinModule('node:url');
  let main: string;
  try {
    main = createRequire(import.meta.url).resolve('apache-arrow');
  } catch (error) {
    throw new StoreArrowError({ cause: error });
  }
  const esm = main.replace(/\.js$/, '.mjs');
  return pathToFileURL(existsSync(esm) ? esm : main).href;
}

/**
 * apache-arrow, loaded now if it was not: as an ES module where Node loads one synchronously (20.19+,
 * 22.12+), else its CommonJS build (then its classes are not those an `import` gives).
 */
export function arrowSync(): ArrowModule {
  if (loaded !== undefined) return loaded;
  const url = esmUrl();
  let module = importModuleSync(url) as ArrowModule | undefined;
  if (module === undefined) {
    const { createRequire } = process.getBuiltinModule('node:module');
    // Not the addon (src/native/ loads that): a JavaScript package, its CommonJS build.
    const requireHere = createRequire(import.meta.url);
    module = requireHere('apache-arrow') as ArrowModule;
  }
  loaded = module;
  return module;
}

/** apache-arrow, imported now if it was not. */
export async function arrowAsync(): Promise<ArrowModule> {
  if (loaded !== undefined) return loaded;
  const url = esmUrl();
  try {
    loaded = (await importModule(url)) as ArrowModule;
  } catch (error) {
    throw new StoreArrowError({ cause: error });
  }
  return loaded;
}
