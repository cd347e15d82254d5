// `multiproc shm ls|rm|gc`: look at and clean up shared memory segments from the shell.
import { collectGarbage, listSegments, removeSegment, type SegmentInfo } from '../shm/segments.js';

function table(rows: SegmentInfo[]): string {
  const lines = [['NAME', 'SIZE', 'PID', 'CREATOR', 'DIR']];
  for (const row of rows) {
    lines.push([
      row.name,
      row.size === undefined ? 'gone' : String(row.size),
      row.pid === undefined ? '-' : String(row.pid),
      row.alive === undefined ? '-' : row.alive ? 'alive' : 'dead',
      row.dir,
    ]);
  }
  const widths = lines[0]!.map((_, column) => Math.max(...lines.map((cells) => cells[column]!.length)));
  return lines.map((cells) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

export function shmCommand(args: string[], out: (text: string) => void): number {
  const [sub, ...rest] = args;
  const dir = option(rest, '--dir');
  const json = rest.includes('--json');
  switch (sub) {
    case 'ls': {
      const rows = listSegments(dir === undefined ? {} : { dir });
      out(json ? JSON.stringify(rows) : table(rows));
      return 0;
    }
    case 'rm': {
      const names = rest.filter((arg, i) => !arg.startsWith('--') && rest[i - 1] !== '--dir');
      if (names.length === 0) {
        out('usage: multiproc shm rm NAME... [--dir DIR]');
        return 2;
      }
      let status = 0;
      for (const name of names) {
        try {
          removeSegment(name, dir === undefined ? {} : { dir });
          out(`removed ${name}`);
        } catch (error) {
          out(`cannot remove ${name}: ${(error as Error).message}`);
          status = 1;
        }
      }
      return status;
    }
    case 'gc': {
      const removed = collectGarbage();
      out(json ? JSON.stringify(removed) : removed.length === 0 ? 'nothing to remove' :
        removed.map((row) => `removed ${row.name} (${row.size} bytes, creator ${row.pid} is gone)`).join('\n'));
      return 0;
    }
    default:
      out('usage: multiproc shm ls [--dir DIR] [--json] | rm NAME... [--dir DIR] | gc [--json]');
      return 2;
  }
}
