// Connection round trips over TCP on loopback: multiproc's connections between two Node processes (the async
// SocketConnection and the blocking BlockingConnection) vs Python's multiprocessing.connection between two
// Python processes, a 64-byte message and a small object.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchSection } from './lib/context.js';
import { probe } from './lib/probe.js';
import { format, median, ratioPerRound, summarize, withSteal } from './lib/stats.js';

const script = fileURLToPath(new URL('./connection-probe.js', import.meta.url));
const pythonScript = fileURLToPath(new URL('../../bench/connection_python.py', import.meta.url));
const python = process.env['MULTIPROC_PYTHON'] ?? 'python3';

interface Result {
  medianUs: number;
  meanUs: number;
}

function runPython(mode: string, n: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    execFile(python, [pythonScript, 'main', mode, String(n)], { timeout: 300_000 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${pythonScript} ${mode} failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as Result);
    });
  });
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const n = ctx.smoke ? 200 : 20_000;
  const modes = ['bytes', 'objects'] as const;
  // ts: SocketConnection (async, on the event loop); blocking: BlockingConnection (connectSync, BlockingListener).
  const sides = ['ts', 'blocking', 'python'] as const;
  const results: Record<string, Result[]> = {};
  for (const mode of modes) for (const who of sides) results[`${who}-${mode}`] = [];
  results['raw'] = [];
  const steal: number[] = [];
  for (let round = 0; round < ctx.rounds; round++) {
    ctx.log(`   round ${round + 1}/${ctx.rounds}`);
    const measured = await withSteal(async () => {
      for (const mode of modes) {
        // Rotated per round, so no side always runs first (or last) on the machine.
        const order = sides.map((_, i) => sides[(i + round) % sides.length]!);
        for (const who of order) {
          const result = who === 'python' ? await runPython(mode, n) : await probe<Result>(script, [who === 'ts' ? mode : `blocking-${mode}`, String(n)]);
          if (!Number.isFinite(result.medianUs)) throw new Error(`${who} ${mode} measured nothing: ${JSON.stringify(result)}`);
          results[`${who}-${mode}`]!.push(result);
        }
      }
      const floor = await probe<Result>(script, ['raw', String(n)]);
      if (!Number.isFinite(floor.medianUs)) throw new Error(`raw measured nothing: ${JSON.stringify(floor)}`);
      results['raw']!.push(floor);
    });
    steal.push(measured.steal);
  }
  const rows = modes.map((mode) => {
    const ts = results[`ts-${mode}`]!.map((r) => r.medianUs);
    const blocking = results[`blocking-${mode}`]!.map((r) => r.medianUs);
    const py = results[`python-${mode}`]!.map((r) => r.medianUs);
    const ratio = ratioPerRound(ts, py);
    const blockingRatio = ratioPerRound(blocking, py);
    const what = mode === 'bytes' ? '64-byte message (sendBytes/recvBytes, send_bytes/recv_bytes)' : 'small object, pickled (send/recv)';
    return {
      line: `| ${what} | ${summarize(ts, 1)} | ${summarize(blocking, 1)} | ${summarize(py, 1)} | ${summarize(ratio)} | ${summarize(blockingRatio)} |`,
      ratio: median(ratio),
      blockingRatio: median(blockingRatio),
    };
  });
  const markdown = [
    `Round trip over TCP on loopback between two processes, authenticated, ${n} sequential round trips per round after a warm-up ` +
      '(the median round trip of each round, microseconds; the echo side receives and sends back the same kind of message):',
    '',
    '| message | multiproc async (SocketConnection) | multiproc blocking (BlockingConnection) | Python <-> Python | ratio async / Python | ratio blocking / Python |',
    '|---|---|---|---|---|---|',
    ...rows.map((row) => row.line),
    `| floor: the same 68 bytes through bare net.Sockets, echoed from 'data' | ${summarize(results['raw'].map((r) => r.medianUs), 1)} | | | ${summarize(ratioPerRound(results['raw'].map((r) => r.medianUs), results['python-bytes']!.map((r) => r.medianUs)))} | |`,
    '',
    'Both kinds look for the answer for their `spin` (50 us, yielding the CPU between tries) before they sleep: the async connection ' +
      'has its event loop try its events before libuv sleeps (then JavaScript runs the callbacks), the blocking one tries a socket the ' +
      'addon owns, then waits in poll() and reads the answer in the same call. The floor has no spin: libuv sleeps and is woken for each ' +
      'reply. On this virtual machine an idle vCPU halts, and the spin saves waking it.',
    '',
    `**multiproc's round trip is ${rows.map((row) => format(row.ratio)).join(' and ')} of Python's async, ` +
      `${rows.map((row) => format(row.blockingRatio)).join(' and ')} blocking** (target: at most 0.5). ` +
      `Host steal time per round: ${steal.map((s) => `${s.toFixed(1)}%`).join(', ')}.`,
  ].join('\n');
  return { title: 'Connection', markdown };
}
