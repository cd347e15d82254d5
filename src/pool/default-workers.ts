// The default number of workers: physical cores where Linux tells them, else the available parallelism.

const { readFileSync } = process.getBuiltinModule('node:fs');

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
  return physicalCores() ?? process.getBuiltinModule('node:os').availableParallelism();
}
