// Running a Node script on a pseudo-terminal (through Python's pty module), so its stdout and stderr are TTYs.
import { spawn } from 'node:child_process';
import { finish, python, type RunResult } from './spawn.js';

// pty.spawn returns the child's wait status: a signal becomes 128 + its number, as a shell reports it.
const runOnPty = [
  'import os, pty, sys',
  'code = os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:]))',
  'sys.exit(code if code >= 0 else 128 - code)',
].join('\n');

/**
 * Runs `node script ...args` on a new pseudo-terminal; `stdout` is everything the terminal showed (the script's
 * stdout and stderr together, with each `\n` turned into `\r\n` by the terminal), `code` the script's exit code.
 */
export function runNodeOnPty(script: string, args: string[] = [], timeout = 30_000): Promise<RunResult> {
  // No stdin: pty.spawn copies stdin to the terminal and stops reading it at end of file.
  const child = spawn(python, ['-c', runOnPty, process.execPath, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return finish(child, timeout);
}
