#!/usr/bin/env node
// The `multiproc` command.
import { dashboardCommand } from './dashboard-command.js';
import { runDemo } from './demo.js';
import { shmCommand } from './shm-command.js';
import { managerCommand } from './manager-command.js';

const usage = `usage: multiproc <command>
  demo                      a Node process, a worker thread and Python sharing one segment; a map on both pools
  shm ls [--dir DIR]        list shared memory segments (size, creator pid, whether it is alive)
  shm rm NAME... [--dir D]  unlink segments
  shm gc                    unlink segments multiproc created whose creator is dead
  dashboard [--port N]      a live dashboard that pools in other processes link to (--host H, --token T)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const out = (text: string): void => {
    process.stdout.write(`${text}\n`);
  };
  switch (command) {
    case 'demo':
      return runDemo(out);
    case 'shm':
      return shmCommand(args, out);
    case 'manager':
      return managerCommand(args, out);
    case 'dashboard':
      return dashboardCommand(args, out);
    default:
      out(usage);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`multiproc: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
