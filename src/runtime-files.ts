// The files multiproc loads by path at run time (worker entries, the tracker, handle modules, the demo's
// files), resolved in whichever layout it runs from: compiled one file per module (dist/src/<area>/<name>.js)
// or bundled, where every entry file and the runtime scripts sit in one folder (dist/pkg/<name>.js).

/** Defined as `true` by scripts/bundle.mjs in the bundle; absent in the compiled layout. */
declare const MULTIPROC_BUNDLE: boolean | undefined;

/**
 * Every file loaded by path, relative to src/, and how the bundle builds it: the `runtime` file (the worker
 * entry) becomes a small module that runs the worker from the package's core script, which the package
 * entry shares (so a task module and the worker loop see one codec registry: src/load-runtime.ts);
 * `standalone` files run in a process or thread of their own, or hold no state the library shares (the
 * demo's task module: `currentWorker()` keeps its answer on `globalThis`), and are bundled whole. Each is
 * named by its base name in the bundle, so base names must stay unique.
 */
export const runtimeFiles = {
  'backends/worker-entry.js': 'runtime',
  'cli/demo-tasks.js': 'standalone',
  'shm/tracker-main.js': 'standalone',
  'cli/demo-worker.js': 'standalone',
  'managers/sync/call-helper.js': 'standalone',
  'managers/server-main.js': 'standalone',
} as const;

export type RuntimeFile = keyof typeof runtimeFiles;

const bundled = typeof MULTIPROC_BUNDLE !== 'undefined';

/** The URL of a runtime file in the layout this module runs from. */
export function runtimeFileUrl(file: RuntimeFile): URL {
  return new URL(bundled ? `./${file.slice(file.lastIndexOf('/') + 1)}` : `./${file}`, import.meta.url);
}

/**
 * The module whose loading registers a built-in handle type (`file` relative to src/). In the bundle that is
 * the package entry, whose runtime scripts hold them all.
 */
export function handleModuleUrl(file: string): URL {
  return new URL(bundled ? './index.js' : `./${file}`, import.meta.url);
}
