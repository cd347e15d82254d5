// Statistics and machine facts for benchmark reports: median [min-max], per-round ratios, steal time.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function format(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toFixed(digits)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (abs >= 100) return value.toFixed(0);
  return value.toFixed(digits);
}

/** `median [min-max]` of a series. */
export function summarize(values: readonly number[], digits = 2): string {
  if (values.length === 0) return 'n/a';
  return `${format(median(values), digits)} [${format(Math.min(...values), digits)}-${format(Math.max(...values), digits)}]`;
}

/** Ratios computed per round (a[i] / b[i]), then summarized. */
export function ratioPerRound(a: readonly number[], b: readonly number[]): number[] {
  return a.map((value, i) => value / b[i]!);
}

/** Cumulative steal and total jiffies from /proc/stat (zeros where there is no /proc). */
export function cpuTimes(): { steal: number; total: number } {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { steal: cpu[7] ?? 0, total: cpu.reduce((sum, v) => sum + v, 0) };
  } catch {
    return { steal: 0, total: 0 };
  }
}

/** Runs `fn` and returns its result with the share of CPU time stolen by the host meanwhile (percent). */
export async function withSteal<T>(fn: () => Promise<T>): Promise<{ result: T; steal: number }> {
  const before = cpuTimes();
  const result = await fn();
  const after = cpuTimes();
  const total = after.total - before.total;
  return { result, steal: total > 0 ? (100 * (after.steal - before.steal)) / total : 0 };
}

function versionOf(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n')[0]!;
  } catch {
    return 'not found';
  }
}

/** Machine, kernel, Node and Python, for the top of the report. */
export function machineDescription(): string {
  const cpus = os.cpus();
  return [
    `- machine: ${cpus.length} logical CPUs (${cpus[0]?.model ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `${os.type()} ${os.release()} ${os.arch()}`,
    `- Node ${process.version}, ${versionOf(process.env['MULTIPROC_PYTHON'] ?? 'python3', ['--version'])} (each section says when it was measured)`,
  ].join('\n');
}
