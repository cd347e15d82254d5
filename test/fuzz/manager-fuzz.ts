// Attacks a running TypeScript manager server (its own process) with seeded malformed handshakes and frames; checks it stays
// up, its memory stays bounded, nothing runs unauthenticated and no global off the allow-list resolves.
// `npm run fuzz:manager [-- COUNT [SEED]]` runs 100,000 cases and writes docs/RELIABILITY-managers.md;
// test/managers-fuzz.test.ts runs 2,000.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../../bench/lib/random.js';
import { challengePrefix, createResponse, makeChallenge, welcome } from '../../src/connection/auth.js';
import { encodeFrame } from '../../src/connection/framing.js';
import { BaseManager } from '../../src/managers/manager.js';
import { dumps, loads, PickleGlobal, PickleObject, tuple } from '../../src/pickle/index.js';
import { fuzzCorpus } from './pickle-fuzz.js';

const key = 'fuzz-key';
const authkey = new TextEncoder().encode(key);
const wrongKey = new TextEncoder().encode('not-the-key');
export const limits = { authTimeout: 400, maxMessageSize: 1 << 20, maxConnections: 96 };
const caseTimeout = 10_000;
const marker = `${os.tmpdir()}/multiproc-fuzz-marker-${process.pid}`;

/** Every kind of case, and how often it is drawn. */
const kinds = {
  'garbage handshake': 12,
  'truncated handshake frame': 8,
  'oversized handshake length': 8,
  'wrong key, then a call': 10,
  'a call with no handshake': 8,
  'never authenticates': 1,
  'slow sender, valid call': 4,
  'valid auth, garbage pickle': 20,
  'valid auth, unknown global': 10,
  'valid auth, oversized length': 5,
  'valid auth, garbage method calls': 12,
  'valid auth, truncated frame': 2,
} as const;
type Kind = keyof typeof kinds;

/** A socket read frame by frame, as the server frames them. */
class Raw {
  readonly socket: Socket;
  #buffer = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  ended = false;
  readonly closed: Promise<number>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake?.();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.ended = true;
        this.#wake?.();
        resolve(performance.now());
      }),
    );
  }

  static open(port: number): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(new Raw(socket));
      });
      socket.once('error', reject);
    });
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** The next whole frame, or why there is none. */
  async frame(timeout = caseTimeout): Promise<Buffer | 'closed' | 'timeout'> {
    const deadline = performance.now() + timeout;
    for (;;) {
      if (this.#buffer.length >= 4) {
        const n = this.#buffer.readInt32BE(0);
        if (n >= 0 && this.#buffer.length >= 4 + n) {
          const payload = this.#buffer.subarray(4, 4 + n);
          this.#buffer = this.#buffer.subarray(4 + n);
          return payload;
        }
      }
      if (this.ended) return 'closed';
      const left = deadline - performance.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The whole mutual handshake by hand; `slow` writes every frame a byte at a time. Resolves with the server's verdict. */
async function handshake(raw: Raw, keyUsed: Uint8Array, slow = false): Promise<'welcome' | 'failure' | 'closed'> {
  const send = async (payload: Uint8Array): Promise<void> => {
    const frame = encodeFrame(payload);
    if (!slow) return raw.write(frame);
    for (const byte of frame) {
      raw.write(Uint8Array.of(byte));
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const challenge = await raw.frame();
  if (typeof challenge === 'string') return 'closed';
  await send(createResponse(keyUsed, challenge.subarray(challengePrefix.length)));
  const verdict = await raw.frame();
  if (typeof verdict === 'string') return 'closed';
  if (!Buffer.from(welcome).equals(verdict)) return 'failure';
  const mine = makeChallenge('legacy');
  await send(Buffer.concat([challengePrefix, mine]));
  const answer = await raw.frame();
  if (typeof answer === 'string') return 'closed';
  await send(welcome);
  return 'welcome';
}

const request = (ident: unknown, funcname: string, args: unknown[] = []): Uint8Array => dumps(tuple(ident, funcname, tuple(...args), new Map()));

/** Globals a pickle may name to run code in Python's server. */
const dangerous: [string, string, unknown[]][] = [
  ['os', 'system', [`touch ${marker}`]],
  ['posix', 'system', [`touch ${marker}`]],
  ['builtins', 'eval', [`open('${marker}', 'w')`]],
  ['builtins', 'exec', [`open('${marker}', 'w')`]],
  ['subprocess', 'Popen', [['touch', marker]]],
  ['builtins', 'getattr', [0, '__class__']],
  ['multiprocessing.managers', 'Server', []],
  ['__main__', 'Canary', []],
];

function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
  const data = Array.from(bytes);
  for (let round = 1 + Math.floor(random() * 3); round > 0; round--) {
    const at = Math.floor(random() * data.length);
    const choice = random();
    if (choice < 0.4) data[at] = Math.floor(random() * 256);
    else if (choice < 0.6) data.splice(at, 1 + Math.floor(random() * 6));
    else if (choice < 0.8) data.splice(at, 0, ...Array.from({ length: 1 + Math.floor(random() * 6) }, () => Math.floor(random() * 256)));
    else data.length = at;
  }
  return Uint8Array.from(data);
}

function replyKind(payload: Buffer): string {
  try {
    const value = loads(payload) as unknown[];
    return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : 'not a reply';
  } catch {
    return 'not a pickle';
  }
}

function replyText(payload: Buffer): string {
  try {
    const value = loads(payload) as unknown[];
    const inner = value[1] as { message?: unknown } | string | null;
    if (typeof inner === 'string') return inner;
    return typeof inner?.message === 'string' ? inner.message : '';
  } catch {
    return '';
  }
}

export interface ManagerFuzzReport {
  count: number;
  seed: number;
  byKind: Record<string, Record<string, number>>;
  /** Calls the canary counted beyond those authenticated clients made. */
  unauthenticatedCalls: number;
  authenticatedHits: number;
  /** Off-list globals that reached a reply other than #ERROR, and the globals the server's registry resolved. */
  unknownGlobalsNotRefused: number;
  resolved: Record<string, number>;
  dangerousResolved: number;
  markerCreated: boolean;
  livenessChecks: number;
  livenessFailures: number;
  hung: number;
  /** Server RSS in MiB: at the start, the highest sample, at the end. */
  rss: { startMiB: number; peakMiB: number; endMiB: number; samples: number; series: number[] };
  /** How long the server took to drop connections that never answered its challenge. */
  silentDropMs: { max: number; count: number };
  connectionLimit: { opened: number; served: number; dropped: number };
  serverExit: number | null;
  totalMs: number;
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const script = fileURLToPath(new URL('./manager-fuzz-server.js', import.meta.url));
  const child = spawn(process.execPath, [script, key, String(limits.authTimeout), String(limits.maxMessageSize), String(limits.maxConnections)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the fuzz server did not start within 20 s')), 20_000);
    child.stdout.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      resolve({ child, port: (JSON.parse(chunk.toString()) as { port: number }).port });
    });
    child.once('exit', () => reject(new Error('the fuzz server exited before listening')));
  });
}

export async function fuzzManager(count: number, seed = 0x5eed, concurrency = 24): Promise<ManagerFuzzReport> {
  rmSync(marker, { force: true });
  const random = seededRandom(seed);
  const corpus = fuzzCorpus();
  const { child, port } = await startServer();
  const pid = child.pid!;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const manager = new BaseManager({ address: ['127.0.0.1', port], authkey });
  const canary = await manager.create('canary');
  const canaryId = canary.token.id;
  const report: ManagerFuzzReport = {
    count, seed, byKind: {}, unauthenticatedCalls: 0, authenticatedHits: 0, unknownGlobalsNotRefused: 0, resolved: {}, dangerousResolved: 0,
    markerCreated: false, livenessChecks: 0, livenessFailures: 0, hung: 0,
    rss: { startMiB: rssMiB(pid), peakMiB: 0, endMiB: 0, samples: 0, series: [] }, silentDropMs: { max: 0, count: 0 },
    connectionLimit: { opened: 0, served: 0, dropped: 0 }, serverExit: null, totalMs: 0,
  };
  report.rss.peakMiB = report.rss.startMiB;
  const total = Object.values(kinds).reduce((a, b) => a + b, 0);
  const draw = (): Kind => {
    let at = random() * total;
    for (const [kind, weight] of Object.entries(kinds) as [Kind, number][]) if ((at -= weight) < 0) return kind;
    return 'garbage handshake';
  };
  const note = (kind: string, outcome: string): void => {
    const counts = (report.byKind[kind] ??= {});
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  };

  /** One case on one connection: what the server did. Every draw from `random` happens before the first await, so a seed replays. */
  const runCase = (kind: Kind): (() => Promise<string>) => {
    const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
    switch (kind) {
      case 'garbage handshake': {
        const junk = bytes(1 + Math.floor(random() * 300));
        return async () => {
          const raw = await Raw.open(port);
          await raw.frame();
          raw.write(junk);
          return outcomeAfterBadAuth(raw);
        };
      }
      case 'truncated handshake frame': {
        const claimed = 17 + Math.floor(random() * 200);
        const sent = bytes(Math.floor(random() * claimed));
        return async () => {
          const raw = await Raw.open(port);
          await raw.frame();
          const header = Buffer.alloc(4);
          header.writeInt32BE(claimed);
          raw.write(Buffer.concat([header, sent]));
          raw.socket.end();
          return outcomeAfterBadAuth(raw);
        };
      }
      case 'oversized handshake length': {
        const long = random() < 0.5;
        return async () => {
          const raw = await Raw.open(port);
          await raw.frame();
          raw.write(long ? Buffer.from('ffffffff00000001000000ff', 'hex') : Buffer.from('7fffffff', 'hex'));
          return outcomeAfterBadAuth(raw);
        };
      }
      case 'wrong key, then a call': {
        const call = random() < 0.5 ? request(null, 'create', ['canary']) : request(canaryId, 'hit');
        return async () => {
          const raw = await Raw.open(port);
          const verdict = await handshake(raw, wrongKey);
          raw.write(encodeFrame(call));
          const rest = await outcomeAfterBadAuth(raw);
          return verdict === 'failure' ? `refused, ${rest}` : `verdict ${verdict}`;
        };
      }
      case 'a call with no handshake': {
        const frames = [request(null, 'accept_connection', ['x']), request(canaryId, 'hit'), request(null, 'create', ['canary'])];
        return async () => {
          const raw = await Raw.open(port);
          for (const frame of frames) raw.write(encodeFrame(frame));
          return outcomeAfterBadAuth(raw);
        };
      }
      case 'never authenticates':
        return async () => {
          const raw = await Raw.open(port);
          const opened = performance.now();
          await raw.frame();
          const done = await Promise.race([raw.closed, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), limits.authTimeout * 10))]);
          if (done === 'timeout') {
            raw.close();
            return 'still open past 10x the deadline';
          }
          report.silentDropMs.count++;
          report.silentDropMs.max = Math.max(report.silentDropMs.max, done - opened);
          return 'dropped at the deadline';
        };
      case 'slow sender, valid call':
        return async () => {
          const raw = await Raw.open(port);
          const verdict = await handshake(raw, authkey, true);
          if (verdict !== 'welcome') return `verdict ${verdict}`;
          raw.write(encodeFrame(request(null, 'dummy')));
          const reply = await raw.frame();
          raw.close();
          return typeof reply === 'string' ? reply : replyKind(reply);
        };
      case 'valid auth, garbage pickle': {
        const payload = random() < 0.3 ? bytes(Math.floor(random() * 200)) : mutate(corpus[Math.floor(random() * corpus.length)]!, random);
        return authenticated((raw) => {
          raw.write(encodeFrame(payload));
          return replyOf(raw);
        });
      }
      case 'valid auth, unknown global': {
        const [module, name, args] = dangerous[Math.floor(random() * dangerous.length)]!;
        const evil = new PickleObject('reduce', new PickleGlobal(module, name), tuple(...args));
        const onChannel = random() < 0.5;
        const frame = onChannel ? request(canaryId, 'hit', [evil]) : request(null, 'create', ['canary', evil]);
        return authenticated(async (raw) => {
          if (onChannel) {
            raw.write(encodeFrame(request(null, 'accept_connection', ['fuzz'])));
            await raw.frame();
          }
          raw.write(encodeFrame(frame));
          const reply = await raw.frame();
          if (typeof reply === 'string') return reply;
          const kindOf = replyKind(reply);
          if (kindOf !== '#ERROR' || !replyText(reply).includes('ERR_MP_PICKLE_GLOBAL')) report.unknownGlobalsNotRefused++;
          return kindOf === '#ERROR' && replyText(reply).includes('ERR_MP_PICKLE_GLOBAL') ? '#ERROR ERR_MP_PICKLE_GLOBAL' : kindOf;
        });
      }
      case 'valid auth, oversized length': {
        const size = limits.maxMessageSize + 1 + Math.floor(random() * 2 ** 30);
        return authenticated(async (raw) => {
          const header = Buffer.alloc(4);
          header.writeInt32BE(Math.min(size, 0x7fffffff));
          raw.write(header);
          const reply = await raw.frame();
          return typeof reply === 'string' ? reply : replyKind(reply);
        });
      }
      case 'valid auth, garbage method calls': {
        const idents = [canaryId, '0', 'zzz', 42, null, canaryId];
        const methods = ['hit', 'put', 'get_nowait', '__repr__', '__str__', '#GETVALUE', 'nope', '_private', 'constructor', '__proto__', 'report'];
        const calls = Array.from({ length: 1 + Math.floor(random() * 6) }, () => {
          const ident = idents[Math.floor(random() * idents.length)];
          const method = methods[Math.floor(random() * methods.length)]!;
          const plain = request(ident, method, random() < 0.5 ? [] : [Math.floor(random() * 100)]);
          return { hit: ident === canaryId && method === 'hit', frame: random() < 0.3 ? mutate(plain, random) : plain };
        });
        return authenticated(async (raw) => {
          raw.write(encodeFrame(request(null, 'accept_connection', ['fuzz'])));
          if (typeof (await raw.frame()) === 'string') return 'closed at accept_connection';
          const kindsSeen: string[] = [];
          for (const call of calls) {
            raw.write(encodeFrame(call.frame));
            const reply = await raw.frame();
            if (typeof reply === 'string') return reply;
            const kindOf = replyKind(reply);
            if (kindOf === '#RETURN' && call.hit) report.authenticatedHits++;
            kindsSeen.push(kindOf);
          }
          return [...new Set(kindsSeen)].sort().join(' ');
        });
      }
      case 'valid auth, truncated frame': {
        const payload = request(null, 'create', ['canary']);
        const cut = Math.floor(random() * payload.length);
        return authenticated(async (raw) => {
          const header = Buffer.alloc(4);
          header.writeInt32BE(payload.length);
          raw.write(Buffer.concat([header, payload.subarray(0, cut)]));
          raw.socket.end();
          const reply = await raw.frame();
          return typeof reply === 'string' ? reply : replyKind(reply);
        });
      }
    }
  };

  /** A case that first authenticates properly. */
  const authenticated = (body: (raw: Raw) => Promise<string>) => async (): Promise<string> => {
    const raw = await Raw.open(port);
    try {
      if ((await handshake(raw, authkey)) !== 'welcome') return 'handshake failed';
      return await body(raw);
    } finally {
      raw.close();
    }
  };
  const replyOf = async (raw: Raw): Promise<string> => {
    const reply = await raw.frame();
    return typeof reply === 'string' ? reply : replyKind(reply);
  };
  /** After a bad handshake only the challenge, `#FAILURE#` and the close may come: a reply to a request would be a breach. */
  const outcomeAfterBadAuth = async (raw: Raw): Promise<string> => {
    const seen: string[] = [];
    for (;;) {
      const frame = await raw.frame();
      if (frame === 'timeout') {
        raw.close();
        return seen.length > 0 ? `${seen.join(', ')}, still open` : 'still open';
      }
      if (frame === 'closed') return seen.length > 0 ? `${seen.join(', ')}, closed` : 'closed';
      const text = frame.toString('latin1');
      seen.push(text === '#FAILURE#' ? '#FAILURE#' : text.startsWith('#CHALLENGE#') ? 'challenge' : `BREACH ${replyKind(frame)}`);
    }
  };

  const liveness = async (): Promise<void> => {
    report.livenessChecks++;
    try {
      const before = Number(await canary.callMethod('hit'));
      report.authenticatedHits++;
      if (!(before > 0)) report.livenessFailures++;
    } catch {
      report.livenessFailures++;
    }
    const rss = rssMiB(pid);
    report.rss.samples++;
    report.rss.series.push(Math.round(rss * 10) / 10);
    report.rss.peakMiB = Math.max(report.rss.peakMiB, rss);
  };

  const connectionLimit = async (): Promise<void> => {
    const extra = 24;
    const opened = await Promise.all(Array.from({ length: limits.maxConnections + extra }, async () => {
      const raw = await Raw.open(port);
      if ((await handshake(raw, authkey)) !== 'welcome') return { raw, served: false };
      raw.write(encodeFrame(request(null, 'accept_connection', ['limit'])));
      const reply = await raw.frame(5000);
      return { raw, served: typeof reply !== 'string' && replyKind(reply) === '#RETURN' };
    }));
    report.connectionLimit.opened += opened.length;
    for (const { raw, served } of opened) {
      if (served) report.connectionLimit.served++;
      else report.connectionLimit.dropped++;
      raw.close();
    }
  };

  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      if (index % 1000 === 0) await liveness();
      if (index % 25_000 === 12_345 || (count < 25_000 && index === Math.floor(count / 2))) await connectionLimit();
      const kind = draw();
      const run = runCase(kind);
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        run().catch((error: unknown) => `client error ${(error as { code?: string }).code ?? (error as Error).message}`),
        new Promise<string>((resolve) => (timer = setTimeout(() => resolve('hung'), caseTimeout * 2))),
      ]).finally(() => clearTimeout(timer));
      if (outcome === 'hung') report.hung++;
      note(kind, outcome);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await liveness();
  const final = JSON.parse(String(await canary.callMethod('report'))) as { hits: number; resolved: Record<string, number> };
  report.unauthenticatedCalls = final.hits - report.authenticatedHits;
  report.resolved = final.resolved;
  report.dangerousResolved = dangerous.reduce((sum, [module, name]) => sum + (final.resolved[`${module}.${name}`] ?? 0), 0);
  report.markerCreated = existsSync(marker);
  report.rss.endMiB = rssMiB(pid);
  report.rss.peakMiB = Math.max(report.rss.peakMiB, report.rss.endMiB);
  await manager.shutdown();
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  report.serverExit = await exited;
  clearTimeout(timer);
  report.totalMs = performance.now() - started;
  return report;
}

/** The figures as docs/RELIABILITY-managers.md. */
export function reliabilityPage(report: ManagerFuzzReport): string {
  const rows = Object.entries(report.byKind).sort(([a], [b]) => a.localeCompare(b)).map(([kind, outcomes]) => {
    const n = Object.values(outcomes).reduce((a, b) => a + b, 0);
    const what = Object.entries(outcomes).sort(([, a], [, b]) => b - a).map(([outcome, k]) => `${outcome}: ${k.toLocaleString('en-US')}`).join('; ');
    return `| ${kind} | ${n.toLocaleString('en-US')} | ${what} |`;
  });
  const mib = (n: number): string => n.toFixed(1);
  return `# Manager server under fuzzing

Generated by \`npm run fuzz:manager\` (test/fuzz/manager-fuzz.ts); do not edit by hand. The short version runs in CI as
test/managers-fuzz.test.ts (2,000 cases). Kept apart from RELIABILITY.md, which \`npm run soak\` generates.

## The run

A TypeScript manager server runs in a process of its own (test/fuzz/manager-fuzz-server.ts) with
\`authTimeout: ${limits.authTimeout}\` ms, \`maxMessageSize: ${limits.maxMessageSize.toLocaleString('en-US')}\` bytes and
\`maxConnections: ${limits.maxConnections}\`. It serves a canary object whose \`hit()\` counts its calls, and unpickles with a
registry that counts every global it resolves. The driver opens one TCP connection per case, ${24} at a time, each
drawn (seed ${report.seed}) from the kinds below; it writes handshakes and frames by hand, so it can send what no
client would: bytes instead of a handshake, frames cut short, lengths up to 2^64, a request before any handshake,
a wrong key followed by a call, frames written a byte at a time, pickles mutated from the pickle fuzz's corpus,
requests whose pickles name \`os.system\`, \`posix.system\`, \`builtins.eval\`, \`builtins.exec\`, \`subprocess.Popen\`
(each set to create a marker file) and other globals off the allow-list. Every 1,000 cases a real client calls the
canary (the server must answer) and the server's RSS is read from /proc; every 25,000 cases ${limits.maxConnections + 24}
authenticated channels are opened at once against the connection limit.

${os.cpus().length}-core machine, Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}, ${report.count.toLocaleString('en-US')} cases in ${(report.totalMs / 1000).toFixed(0)} s.

| | |
|---|---|
| cases | ${report.count.toLocaleString('en-US')} |
| calls executed without authentication | **${report.unauthenticatedCalls}** (canary calls ${report.authenticatedHits + report.unauthenticatedCalls}, all made by authenticated clients) |
| off-list globals resolved | **${report.dangerousResolved}** (the registry resolved: ${Object.keys(report.resolved).length === 0 ? 'nothing' : Object.entries(report.resolved).map(([name, n]) => `${name} ${n}`).join(', ')}); requests naming one not answered \`#ERROR ERR_MP_PICKLE_GLOBAL\`: ${report.unknownGlobalsNotRefused}; marker file created: ${report.markerCreated ? 'YES' : 'no'} |
| server up | ${report.livenessChecks - report.livenessFailures} of ${report.livenessChecks} real client calls answered; cases that hung: ${report.hung} |
| server RSS | ${mib(report.rss.startMiB)} MiB at the start, ${mib(report.rss.peakMiB)} MiB at the highest of ${report.rss.samples} samples, ${mib(report.rss.endMiB)} MiB at the end; every ${Math.max(1, Math.round(report.rss.series.length / 10))}th sample (about ${(Math.max(1, Math.round(report.rss.series.length / 10)) * 1000).toLocaleString('en-US')} cases apart): ${report.rss.series.filter((_, i) => i % Math.max(1, Math.round(report.rss.series.length / 10)) === 0).map((v) => v.toFixed(0)).join(', ')} MiB |
| connections that never authenticate | dropped after at most ${report.silentDropMs.max.toFixed(0)} ms (deadline ${limits.authTimeout} ms; ${report.silentDropMs.count} such connections) |
| connection limit | ${report.connectionLimit.opened} authenticated channels opened at once: ${report.connectionLimit.served} served, ${report.connectionLimit.dropped} dropped (other cases were holding connections too) |
| server exit after the final \`shutdown\` | code ${report.serverExit} |

## What the server did, by kind of case

| kind | cases | outcomes |
|---|---|---|
${rows.join('\n')}

"closed" means the server closed the connection; "challenge" and "#FAILURE#" are the frames it sent before that (a
reply to a request on a connection that did not authenticate would show as BREACH). "timeout" is a reply that did not
come within ${caseTimeout / 1000} s.
`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const count = Number(process.argv[2] ?? 100_000);
  const seed = Number(process.argv[3] ?? 0x5eed);
  const report = await fuzzManager(count, seed);
  console.log(JSON.stringify(report, null, 2));
  const clean = report.unauthenticatedCalls === 0 && report.dangerousResolved === 0 && !report.markerCreated && report.livenessFailures === 0 && report.hung === 0 && report.serverExit === 0;
  if (count >= 100_000) writeFileSync(new URL('../../../docs/RELIABILITY-managers.md', import.meta.url), reliabilityPage(report));
  process.exitCode = clean ? 0 : 1;
}
