// How many workers a pool has: by default the physical cores where Linux tells them, else the available
// parallelism; at most `maxWorkers`.

const { readFileSync } = process.getBuiltinModule('node:fs');

/**
 * The most workers a pool may have. Not a resource check: a guard against a mistaken count (`1e9`, a byte count),
 * which would start workers until memory or /dev/shm ran out and never return. It leaves room for pools of many
 * more workers than cores (I/O-bound tasks) on any machine, so a program that runs on one runs on another.
 */
export const maxWorkers = 1024;

export function physicalCores(): number | undefined {
  try {
    const cores = new Set<string>();
    let physical = '0';
    for (const line of readFileSync('/proc/cpuinfo', 'utf8').split('\n')) {
      const [key, value] = line.split(':').map((part) => part.trim());
      if (key === 'physical id') physical = value ?? '0';
      if (key === 'core id') cores.add(`${physical}:${value}`);
    }
    return cores.size > 0 ? cores.size : undefined;
  } catch {
    return undefined;
  }
}

export function defaultWorkers(): number {
  return Math.min(maxWorkers, physicalCores() ?? process.getBuiltinModule('node:os').availableParallelism());
}
