// CPU time of processes from /proc: one process, or a process and everything it started (a browser's tree).
import { readdirSync, readFileSync } from 'node:fs';

/** [ppid, user + system ticks] of a process, or undefined when it is gone (or there is no /proc). */
function stat(pid: number): [number, number] | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return [Number(fields[1]), Number(fields[11]) + Number(fields[12])];
  } catch {
    return undefined;
  }
}

/** Seconds of CPU (user + system) used so far by `root` and every live process below it. */
export function treeCpuSeconds(root: number): number {
  const children = new Map<number, number[]>();
  let names: string[] = [];
  try {
    names = readdirSync('/proc');
  } catch {
    return 0;
  }
  const ticks = new Map<number, number>();
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const found = stat(pid);
    if (found === undefined) continue;
    ticks.set(pid, found[1]);
    const list = children.get(found[0]) ?? [];
    list.push(pid);
    children.set(found[0], list);
  }
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    total += ticks.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total / 100;
}
