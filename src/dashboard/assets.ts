// The page's files (plain HTML, CSS and JS, copied beside the compiled server by scripts/bundle.mjs), found
// in whichever layout the server runs from, read once.

/** Defined as `true` by scripts/bundle.mjs in the bundle; absent in the compiled layout. */
declare const MULTIPROC_BUNDLE: boolean | undefined;

/** What the server sends for each path of the page. */
const files = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
} as const;

export type AssetPath = keyof typeof files;

export function isAsset(path: string): path is AssetPath {
  return Object.hasOwn(files, path);
}

/**
 * The folder: next to this file when compiled (dist/src/dashboard/page/); from a bundle in dist/pkg, the
 * same folder, which the package ships (`files` holds dist/src).
 */
function pageFolder(): URL {
  return typeof MULTIPROC_BUNDLE !== 'undefined' ? new URL('../src/dashboard/page/', import.meta.url) : new URL('./page/', import.meta.url);
}

const cache = new Map<AssetPath, Buffer>();

export function readAsset(path: AssetPath): { body: Buffer; type: string } {
  const { file, type } = files[path];
  let body = cache.get(path);
  if (body === undefined) cache.set(path, (body = process.getBuiltinModule('node:fs').readFileSync(new URL(file, pageFolder()))));
  return { body, type };
}
