// The queue fault run: producer and consumer processes share one Queue while the parent SIGKILLs them at
// seeded random moments and starts replacements; afterwards every message is counted by id.
import type { ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { Queue, RawArray } from '../../src/index.js';
import { decodePartsSync } from '../../src/queue/payload.js';
import type { Ring } from '../../src/queue/ring.js';
import { encodePayload } from './agents.js';
import { Ctrl, ctrlWords, isIntact, itemFor, type FaultItem } from './queue-fault-items.js';
import { fixture, startNode } from './spawn.js';

export interface ChaosOptions {
  seed: number;
  /** SIGKILLs to deliver, split at random between consumers and producers. */
  kills: number;
  /** Ids available; producers put until the kills are done (or the ids run out). */
  total: number;
  producers: number;
  consumers: number;
  /** Every n-th id is a `bigBytes` item. */
  bigEvery: number;
  bigBytes: number;
  bufferSize: number;
  maxsize: number;
  /** Mean pause after each put or get (0: flat out). */
  pauseMs: number;
  /** The longest gap between kills. */
  maxGapMs: number;
  /** The longest an agent works, once started, before it may be killed (at random below this). */
  maxLifeMs: number;
  /** Give up after this long. */
  deadlineMs: number;
}

export interface ChaosFigures {
  seed: number;
  kills: number;
  consumerKills: number;
  producerKills: number;
  messages: number;
  confirmed: number;
  /** Confirmed ids not delivered. */
  lost: number;
  /** Ids delivered more than once. */
  duplicated: number;
  /** Ids whose put was interrupted by a kill: delivered (at most once) or not. */
  interruptedDelivered: number;
  interruptedMissing: number;
  /** Items taken by a consumer killed before it recorded them (found through its pending record). */
  takenByKilled: number;
  corrupt: number;
  /** Taken indices no consumer accounted for, or accounted for with two ids. */
  inconsistent: number;
  /** Children that exited on their own with an error (e.g. a queue that refused them). */
  childErrors: string[];
  /** 1 when the queue could not take one more put and get afterwards. */
  unusable: number;
  leakedSpills: number;
  ms: number;
}

/** mulberry32: small, seeded, good enough to pick victims and gaps. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Agent {
  role: 'produce' | 'consume';
  child: ChildProcess;
  ready: boolean;
  /** When it may be killed: a while after it became ready, so kills land in its work, not its start-up. */
  killableAt: number;
  killed: boolean;
  exited: Promise<void>;
  stderr: string;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosFigures> {
  const started = performance.now();
  const rand = random(options.seed);
  const queue = new Queue<FaultItem>(options.maxsize, { bufferSize: options.bufferSize });
  const slots = options.producers + options.consumers + options.kills + 8;
  const ctrl = new RawArray('i', ctrlWords);
  const confirmed = new RawArray('i', options.total);
  const byIndex = new RawArray('i', options.total + 64);
  const pending = new RawArray('i', slots * 2);
  const payload = encodePayload({
    queue, ctrl, confirmed, byIndex, pending, total: options.total, bigEvery: options.bigEvery, bigBytes: options.bigBytes,
  });
  const agent = fixture('queue-fault-agent.js');
  const agents = new Set<Agent>();
  const childErrors: string[] = [];
  let nextSlot = 0;
  const start = (role: Agent['role']): Agent => {
    const child = startNode(agent, [role, payload, String(nextSlot++), String(options.pauseMs)]);
    const entry: Agent = { role, child, ready: false, killableAt: Infinity, killed: false, exited: Promise.resolve(), stderr: '' };
    const life = rand() * options.maxLifeMs;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (!entry.ready && chunk.includes('ready')) {
        entry.ready = true;
        entry.killableAt = performance.now() + life;
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (entry.stderr += chunk));
    entry.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        agents.delete(entry);
        if (!entry.killed && code !== 0) childErrors.push(`${role} exited ${String(code ?? signal)}: ${entry.stderr.slice(-600)}`);
        resolve();
      });
    });
    agents.add(entry);
    return entry;
  };
  const idsLeft = (): boolean => Atomics.load(ctrl.view, Ctrl.NextId) < options.total;
  const overdue = (): boolean => performance.now() - started > options.deadlineMs;
  let consumerKills = 0;
  let producerKills = 0;
  try {
    for (let i = 0; i < options.consumers; i++) start('consume');
    for (let i = 0; i < options.producers; i++) start('produce');
    while (consumerKills + producerKills < options.kills && !overdue()) {
      await sleep(rand() * options.maxGapMs);
      const now = performance.now();
      const ready = [...agents].filter((a) => a.killableAt <= now && !a.killed);
      if (ready.length === 0) continue;
      const victim = ready[Math.floor(rand() * ready.length)]!;
      victim.killed = true;
      victim.child.kill('SIGKILL');
      await victim.exited;
      if (victim.role === 'consume') consumerKills++;
      else producerKills++;
      if (victim.role === 'consume' || idsLeft()) start(victim.role);
    }
    // Stop the producers, then let the consumers drain the queue.
    Atomics.store(ctrl.view, Ctrl.Stop, 1);
    while (!overdue() && [...agents].some((a) => a.role === 'produce')) await sleep(20);
    for (let quiet = 0; quiet < 5 && !overdue(); await sleep(50)) quiet = queue.qsize() === 0 ? quiet + 1 : 0;
  } finally {
    for (const entry of agents) {
      entry.killed = true;
      entry.child.kill('SIGKILL');
    }
    await Promise.all([...agents].map((a) => a.exited));
  }

  // Whatever is left (a drain cut short), the parent takes itself, recording as a consumer would.
  const mine = nextSlot++;
  const ring = (queue as unknown as { ring: Ring }).ring;
  const pend = pending.view;
  const indexed = byIndex.view;
  let corrupt = Atomics.load(ctrl.view, Ctrl.Corrupt);
  ring.onTake = (index, message) => {
    Atomics.store(pend, mine * 2 + 1, index);
    Atomics.store(pend, mine * 2, (decodePartsSync(message) as FaultItem).id + 1);
  };
  let unusable = 0;
  try {
    for (;;) {
      const item = await queue.get({ timeout: 1000 });
      if (!isIntact(item, options.bigEvery, options.bigBytes)) corrupt++;
      indexed[Atomics.load(pend, mine * 2 + 1)] = item.id + 1;
    }
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_MP_QUEUE_EMPTY') {
      childErrors.push(`parent drain: ${String(error)}`);
      unusable = 1;
    }
  }
  const taken = ring.taken;
  ring.onTake = undefined;

  // Pending records of killed consumers: an index nobody recorded was taken by the one that died.
  let takenByKilled = 0;
  let inconsistent = Atomics.load(ctrl.view, Ctrl.Overflow);
  for (let slot = 0; slot < nextSlot; slot++) {
    const id1 = pend[slot * 2]!;
    if (id1 === 0) continue;
    const index = pend[slot * 2 + 1]!;
    if (index >= taken) continue; // its take never happened: the item stayed queued
    if (indexed[index] === 0) {
      indexed[index] = id1;
      takenByKilled++;
    } else if (indexed[index] !== id1) {
      inconsistent++;
    }
  }
  const deliveries = new Map<number, number>();
  for (let index = 0; index < taken; index++) {
    const id1 = indexed[index]!;
    if (id1 === 0) {
      inconsistent++;
      continue;
    }
    deliveries.set(id1 - 1, (deliveries.get(id1 - 1) ?? 0) + 1);
  }
  let lost = 0;
  let duplicated = 0;
  let confirmedCount = 0;
  let interruptedDelivered = 0;
  let interruptedMissing = 0;
  const claimed = Math.min(options.total, Atomics.load(ctrl.view, Ctrl.NextId));
  for (let id = 0; id < claimed; id++) {
    const n = deliveries.get(id) ?? 0;
    if (n > 1) duplicated++;
    if (confirmed.view[id] === 1) {
      confirmedCount++;
      if (n === 0) lost++;
    } else if (n === 0) {
      interruptedMissing++;
    } else {
      interruptedDelivered++;
    }
  }

  // One more put and get must work.
  try {
    await queue.put(itemFor(1, 0, 0), { timeout: 10_000 });
    if ((await queue.get({ timeout: 10_000 })).id !== 1) unusable = 1;
  } catch (error) {
    childErrors.push(`final put/get: ${String(error)}`);
    unusable = 1;
  }
  const prefix = `${queue.segmentName}.`;
  const leakedSpills = readdirSync(queue.toRef().dir ?? '/dev/shm').filter((name) => name.startsWith(prefix)).length;
  queue.close();
  for (const array of [ctrl, confirmed, byIndex, pending]) array.close();
  return {
    seed: options.seed,
    kills: consumerKills + producerKills,
    consumerKills,
    producerKills,
    messages: claimed,
    confirmed: confirmedCount,
    lost,
    duplicated,
    interruptedDelivered,
    interruptedMissing,
    takenByKilled,
    corrupt,
    inconsistent,
    childErrors,
    unusable,
    leakedSpills,
    ms: Math.round(performance.now() - started),
  };
}
