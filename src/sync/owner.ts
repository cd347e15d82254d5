// Who holds a lock: this process's pid and a token per thread (each worker thread loads its own copy of
// this module), and whether a recorded holder process is still alive.

const { readFileSync } = process.getBuiltinModule('node:fs');

let token = 0;

/** Non-zero, distinct per thread with overwhelming probability (drawn on first use, not at import). */
export function threadToken(): number {
  if (token === 0) token = crypto.getRandomValues(new Int32Array(1))[0]! | 1;
  return token;
}

export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // An exited child its parent has not reaped yet still answers signal 0.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
