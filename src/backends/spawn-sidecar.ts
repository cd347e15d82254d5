// Starts a detached Node sidecar (the shared-memory resource tracker) with a pipe to its stdin. A leaf:
// it imports nothing from src/, so lower folders may use it (scripts/check-layers.mjs places it low).

/** A started sidecar: the fd of the write end of its stdin pipe, or -1 when the pipe cannot be reached. */
export interface Sidecar {
  readonly fd: number;
  /** Lets go of this process's handles (the pipe and the child), so neither keeps the event loop alive. */
  release(): void;
  kill(): void;
}

/** Runs `script` in a new, detached Node process with `args`; its stdout is dropped, its stderr is ours. */
export function spawnSidecar(script: string, args: readonly string[]): Sidecar {
  // child_process only when a sidecar is needed: most processes never load it (src/builtins.ts).
  const child = process.getBuiltinModule('node:child_process').spawn(process.execPath, [script, ...args], {
    stdio: ['pipe', 'ignore', 'inherit'],
    detached: true,
  });
  const fd = (child.stdin as unknown as { _handle?: { fd?: number } } | null)?._handle?.fd;
  return {
    fd: typeof fd === 'number' && fd >= 0 ? fd : -1,
    release() {
      child.stdin?.destroy();
      child.unref();
    },
    kill() {
      child.kill();
    },
  };
}
