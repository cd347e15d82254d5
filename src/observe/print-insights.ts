// A pool's insights as text: the pool's figures (MPIRE's layout), then one table row per worker, the longest tasks and the crashes.
import type { PoolInsights, TimeFigure, WorkerInsights } from './insights.js';

function ms(value: number): string {
  if (value >= 60_000) return `${Math.floor(value / 60_000)}m${((value % 60_000) / 1000).toFixed(1).padStart(4, '0')}s`;
  if (value >= 1000) return `${(value / 1000).toFixed(2)}s`;
  return `${value.toFixed(value >= 10 ? 1 : 2)}ms`;
}

function percent(ratio: number): string {
  return `${(100 * ratio).toFixed(2)}%`;
}

function bytes(value: number | undefined): string {
  if (value === undefined) return '-';
  if (value >= 1024 ** 3) return `${(value / 1024 ** 3).toFixed(2)}G`;
  return `${(value / 1024 ** 2).toFixed(1)}M`;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ').trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)];
}

function part(title: string, figure: TimeFigure): string {
  return `${title}: ${ms(figure.totalMs)} (mean ${ms(figure.meanMs)}, std ${ms(figure.stdMs)}, ratio ${percent(figure.ratio)})`;
}

function workerRow(worker: WorkerInsights): string[] {
  const who = worker.threadId !== 0 ? `t${worker.threadId}` : worker.pid !== 0 ? `p${worker.pid}` : '-';
  const state = worker.exit === undefined ? worker.state : worker.exit.reason;
  return [
    `${worker.workerId} [${worker.index}] ${who}`, state, String(worker.tasksCompleted), String(worker.tasksFailed), ms(worker.startupMs), ms(worker.initMs),
    ms(worker.waitingMs), ms(worker.workingMs), ms(worker.exitMs), percent(worker.busyRatio), bytes(worker.memory?.rss), bytes(worker.memory?.heapUsed),
  ];
}

/** The text `pool.printInsights()` prints. */
export function formatInsights(insights: PoolInsights): string {
  const lines = [
    `Pool ${insights.poolId} insights (${insights.backend}, ${insights.workerCount} workers, ${insights.state})`,
    '-'.repeat(40),
    `Tasks completed: ${insights.tasksCompleted} (${insights.items} items; per worker mean ${insights.tasksPerWorker.mean.toFixed(1)}, ` +
      `std ${insights.tasksPerWorker.std.toFixed(1)}); failed: ${insights.tasksFailed}; retried: ${insights.tasksRetried}`,
    part('Start-up time', insights.startup),
    part('Initializer time', insights.init),
    part('Waiting time', insights.waiting),
    part('Working time', insights.working),
    part('Exit time', insights.exit),
    `Total time: ${ms(insights.totalMs)}`,
  ];
  if (insights.tasksCompleted > 0 && insights.working.ratio < 0.8) lines.push('', 'Efficiency warning: working ratio is below 80%');
  const { restarts, crashes, queue, eventLoop } = insights;
  lines.push(
    `Restarts: ${restarts.total} (retired ${restarts.retired}, crashed ${restarts.crashed}, killed ${restarts.killed}); crashes: ${crashes.total}`,
    `Queue: ${queue.waiting} waiting, ${queue.inflight} in workers, at most ${queue.peakWaiting} waiting`,
    `Pool thread: event loop ${percent(eventLoop.utilization)} busy, delay mean ${ms(eventLoop.delayMeanMs)}, p99 ${ms(eventLoop.delayP99Ms)}, max ${ms(eventLoop.delayMaxMs)}`,
    '',
    'Workers',
    ...table(['worker', 'state', 'done', 'failed', 'start-up', 'init', 'waiting', 'working', 'exit', 'busy', 'rss', 'heap'], insights.workers.map(workerRow)),
    '',
    'Top 5 longest tasks',
  );
  if (insights.topTasks.length === 0) lines.push('(none yet)');
  insights.topTasks.forEach((task, i) => {
    lines.push(`${i + 1}. ${ms(task.runMs)} ${task.name}${task.items > 1 ? ` (${task.items} items)` : ''} on worker ${task.workerId}: ${task.args}`);
  });
  if (crashes.recent.length > 0) {
    lines.push('', 'Crashes (latest last)');
    for (const crash of crashes.recent) {
      const how = crash.signal !== null ? `killed by ${crash.signal}` : `exit code ${crash.exitCode}`;
      const what = crash.error === undefined ? '' : `: ${crash.error.name}: ${crash.error.message}`;
      lines.push(`worker ${crash.workerId} [${crash.index}] ${how}${crash.task === undefined ? '' : ` running ${crash.task.name}`}${what}`);
      if (crash.stack !== undefined) lines.push(...crash.stack.split('\n').slice(1, 6).map((line) => `    ${line.trim()}`));
    }
  }
  return `${lines.join('\n')}\n`;
}
