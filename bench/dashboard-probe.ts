// One dashboard measurement in a fresh process: MODE SECONDS [WORKLOAD [WARM]] -> one JSON line with the pool's items per
// second over back-to-back maps, the updates the page got per second, and the CPU (in cores) of this process (the
// pool's thread and its workers) and of the client's process tree.
// MODE: `off` (no dashboard), `sse` (a dashboard and an SSE client in another process counting its events),
// `browser` (a dashboard open in headless Chromium, counting the updates the page drew).
// WORKLOAD: `b1` (B1's maps: 200,000 items of `x + 1`, automatic chunks) or `work:N` (maps of 20,000 tasks of
// `work(N)`, a fixed amount of CPU each, automatic chunks: the bench picks N for about 200,000 tasks a second).
// WARM: seconds of maps before the measured ones, with the client open (default 3).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Pool } from 'multiproc';
import { treeCpuSeconds } from './lib/proc-cpu.js';

const sseClient = fileURLToPath(new URL('./dashboard-sse-client.js', import.meta.url));
const pageClient = fileURLToPath(new URL('./dashboard-page-client.js', import.meta.url));

const [mode = 'off', secondsText = '3', workload = 'b1', warmText = '3'] = process.argv.slice(2);
const seconds = Number(secondsText);
const warmSeconds = Number(warmText);
const cpuTask = workload.startsWith('work:');
const items = cpuTask ? Array.from({ length: 20_000 }, () => Number(workload.slice(5))) : Array.from({ length: 200_000 }, (_, i) => i);

const pool = new Pool({ workers: 2 });
const tasks = pool.load<typeof import('./pool/workers/tasks.js')>(new URL('./pool/workers/tasks.js', import.meta.url));
const task = cpuTask ? tasks.work : tasks.inc;
const last = cpuTask ? await tasks.work(items[0]!) : items.length;
/** Maps back to back for `ms`: the items they did. */
async function maps(ms: number): Promise<number> {
  let done = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    const results = await task.map(items);
    if (results[items.length - 1] !== last) throw new Error('wrong result');
    done += items.length;
  }
  return done;
}
// Warm: the workers, the chunk-size measure, the code paths.
for (let i = 0; i < 3; i++) await task.map(items);

/** Counts updates as the page (or the SSE client) saw them. */
let updates: () => Promise<number> = () => Promise.resolve(0);
let stop: () => Promise<void> = () => Promise.resolve();
/** The client's CPU so far (its whole process tree: the browser's processes), seconds. */
let clientCpu: () => number = () => 0;
if (mode !== 'off') {
  const dashboard = await pool.dashboard();
  // The page's client runs in a process of its own, as a browser does: what it costs is its own CPU, not the
  // pool's thread. It answers each line on its stdin with the updates it counted so far.
  const client = mode === 'sse'
    ? spawn(process.execPath, [sseClient, dashboard.url], { stdio: ['pipe', 'pipe', 'inherit'] })
    : spawn(process.execPath, [pageClient, dashboard.url], { stdio: ['pipe', 'pipe', 'inherit'] });
  let answers = '';
  client.stdout.setEncoding('utf8').on('data', (chunk: string) => (answers += chunk));
  const ask = async (): Promise<number> => {
    const seen = answers.split('\n').length;
    client.stdin.write('?\n');
    while (answers.split('\n').length === seen) await new Promise((resolve) => setTimeout(resolve, 5));
    return Number(answers.trim().split('\n').pop());
  };
  // The first answer comes once the client is subscribed (the page: loaded and live).
  await ask();
  updates = ask;
  clientCpu = () => (client.pid === undefined ? 0 : treeCpuSeconds(client.pid));
  stop = async () => {
    client.stdin.end();
    await new Promise((resolve) => client.once('exit', resolve));
    await dashboard.close();
  };
}
// Settle, in every mode alike: maps run for a while first, so what is measured is a page left open on a busy pool,
// not the browser's start-up (its first seconds cost it twice its steady CPU).
await maps(warmSeconds * 1000);

const updatesBefore = await updates();
const clientBefore = clientCpu();
const cpuBefore = process.cpuUsage();
const started = performance.now();
const done = await maps(seconds * 1000);
const elapsed = (performance.now() - started) / 1000;
// This process is the pool's main thread and its worker threads: its CPU over the run, in cores.
const cpu = process.cpuUsage(cpuBefore);
const poolCpu = (cpu.user + cpu.system) / 1e6 / elapsed;
const browserCpu = (clientCpu() - clientBefore) / elapsed;
// What the page got while the maps ran; the one update that may still be on its way is not counted.
const updatesAfter = await updates();
await stop();
await pool.close();
process.stdout.write(`${JSON.stringify({ rate: done / elapsed, updatesPerSecond: (updatesAfter - updatesBefore) / elapsed, poolCpu, clientCpu: browserCpu, seconds: elapsed })}\n`);
