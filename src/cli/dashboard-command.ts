// `multiproc dashboard [--port N] [--host H] [--token T]`: the standalone dashboard that pools in other
// processes link to (`MULTIPROC_DASHBOARD=<url>` or `pool.dashboard({ connect: url })`), until SIGINT or SIGTERM.
import { serveDashboard } from '../dashboard/dashboard.js';
import type { DashboardOptions } from '../dashboard/options.js';

export const dashboardUsage = 'usage: multiproc dashboard [--port N] [--host HOST] [--token TOKEN]';

function parse(args: string[]): DashboardOptions | string {
  const options: DashboardOptions = {};
  for (let i = 0; i < args.length; i++) {
    const name = args[i];
    const value = args[i + 1];
    if (name !== '--port' && name !== '--host' && name !== '--token') return `unknown argument ${JSON.stringify(name)}`;
    if (value === undefined) return `${name} needs a value`;
    i++;
    if (name === '--port') {
      if (!/^\d+$/.test(value)) return `--port takes a number from 0 to 65535, got ${JSON.stringify(value)}`;
      options.port = Number(value);
    } else if (name === '--host') options.host = value;
    else options.token = value;
  }
  return options;
}

/** Serves until a signal; resolves to the exit code. `signals` is where SIGINT and SIGTERM come from (the process). */
export async function dashboardCommand(args: string[], out: (text: string) => void, signals: NodeJS.EventEmitter = process): Promise<number> {
  const options = parse(args);
  if (typeof options === 'string') {
    out(`${options}\n${dashboardUsage}`);
    return 2;
  }
  const dashboard = await serveDashboard(options);
  out(`multiproc dashboard: ${dashboard.url}`);
  out(`link pools to it with MULTIPROC_DASHBOARD='${dashboard.url}' or pool.dashboard({ connect: '${dashboard.url}' })`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      signals.off('SIGINT', stop);
      signals.off('SIGTERM', stop);
      resolve();
    };
    signals.on('SIGINT', stop);
    signals.on('SIGTERM', stop);
  });
  await dashboard.close();
  return 0;
}
