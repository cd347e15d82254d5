// One codec measurement in a fresh process: CONTENDER PAYLOAD SCALE -> one JSON line with ms per round trip.
import v8 from 'node:v8';
import { Packr } from 'msgpackr';
import { decodeSync, encode, registerClass } from 'multiproc';
import { median } from './lib/stats.js';

export class Particle {
  constructor(
    public id: number,
    public x: number,
    public y: number,
    public z: number,
    public label: string,
  ) {}
}
registerClass(Particle, import.meta.url);

export const contenders = ['multiproc', 'structuredClone', 'v8.serialize', 'msgpackr', 'msgpackr (structuredClone)'] as const;
export const payloads = ['small objects', 'Float64Array 4 MiB', 'class instances', 'same as plain objects', 'tiny [1]', 'pool message'] as const;

/** The payload and how many objects it holds; `scale` shrinks it for smoke runs. */
export function makePayload(name: string, scale: number): { value: unknown; objects: number } {
  const n = (count: number): number => Math.max(1, Math.round(count * scale));
  switch (name) {
    case 'small objects': {
      const count = n(100_000);
      return { value: Array.from({ length: count }, (_, i) => ({ id: i, name: `item${i}`, score: i * 0.5, tags: ['a', 'b'], ok: i % 2 === 0 })), objects: count };
    }
    case 'Float64Array 4 MiB':
      return { value: new Float64Array(n(512 * 1024)).map((_, i) => i * 1.25), objects: 1 };
    case 'class instances': {
      const count = n(10_000);
      return { value: Array.from({ length: count }, (_, i) => new Particle(i, i * 0.5, -i, i / 3, `p${i}`)), objects: count };
    }
    case 'same as plain objects': {
      const count = n(10_000);
      return { value: Array.from({ length: count }, (_, i) => ({ id: i, x: i * 0.5, y: -i, z: i / 3, label: `p${i}` })), objects: count };
    }
    case 'tiny [1]':
      return { value: [1], objects: 1 };
    case 'pool message':
      return { value: { type: 'call', v: 1, id: 123, task: 'countLorem', args: ['Lorem ipsum dolor', 3] }, objects: 1 };
    default:
      throw new Error(`unknown payload ${name}`);
  }
}

function roundTripper(contender: string): (value: unknown) => unknown {
  switch (contender) {
    case 'multiproc':
      return (value) => decodeSync(encode(value));
    case 'structuredClone':
      return (value) => structuredClone(value);
    case 'v8.serialize':
      return (value) => v8.deserialize(v8.serialize(value)) as unknown;
    case 'msgpackr': {
      const packr = new Packr();
      return (value) => packr.unpack(packr.pack(value)) as unknown;
    }
    case 'msgpackr (structuredClone)': {
      const packr = new Packr({ structuredClone: true, moreTypes: true });
      return (value) => packr.unpack(packr.pack(value)) as unknown;
    }
    default:
      throw new Error(`unknown contender ${contender}`);
  }
}

/** Times round trips for about `budgetMs` after a warm-up; returns the median ms per round trip over batches. */
function measure(roundTrip: (value: unknown) => unknown, value: unknown, budgetMs: number): number {
  let batch = 1;
  for (let t = performance.now(); performance.now() - t < budgetMs / 4; ) {
    for (let i = 0; i < batch; i++) roundTrip(value);
    batch *= 2;
  }
  const perBatch = Math.max(1, Math.round(batch / 8));
  const samples: number[] = [];
  const started = performance.now();
  while (samples.length < 5 || performance.now() - started < budgetMs) {
    const t = performance.now();
    for (let i = 0; i < perBatch; i++) roundTrip(value);
    samples.push((performance.now() - t) / perBatch);
    if (samples.length > 200) break;
  }
  return median(samples);
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const [contender = '', payload = '', scale = '1', budget = '400'] = process.argv.slice(2);
  const { value, objects } = makePayload(payload, Number(scale));
  const bytes = v8.serialize(value).byteLength;
  const ms = measure(roundTripper(contender), value, Number(budget));
  process.stdout.write(`${JSON.stringify({ ms, bytes, objects })}\n`);
}
