// Mutates a corpus of pickles (seeded) and loads each: only coded ERR_MP_PICKLE_ errors may come out, every load ends.
// `npm run fuzz:pickle [-- COUNT [SEED]]` runs 100,000 by default; test/unit/pickle-fuzz.test.ts runs 5,000.
import { fileURLToPath } from 'node:url';
import { MultiprocError } from '../../src/errors.js';
import {
  ByteArray,
  Complex,
  Decimal,
  dumps,
  FrozenSet,
  loads,
  OrderedDict,
  PickleGlobal,
  PickleObject,
  PickleRegistry,
  PyDate,
  PyDateTime,
  PythonError,
  Timedelta,
  Timezone,
  tuple,
  type LoadOptions,
} from '../../src/pickle/index.js';
import { seededRandom } from '../../bench/lib/random.js';

class Point {
  x = 0;
  y = 0;
}

const registry = new PickleRegistry();
registry.registerClass('demo', 'Point', Point);

const unhex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));

/** The pickles mutated: TypeScript's at protocols 2 to 5, and Python's at 0 and 1 and from Python 2. */
export function fuzzCorpus(): Uint8Array[] {
  const point = Object.assign(new Point(), { x: 1, y: [2.5, 'y'] });
  const opaque = new PickleObject('newobj', new PickleGlobal('demo', 'Opaque'), tuple(1));
  opaque.state = new Map([['s', 1]]);
  opaque.listItems.push(1, 2);
  const shared = ['shared'];
  const values: unknown[] = [
    null,
    true,
    tuple(null, 'create', tuple('get_task_queue'), new Map()),
    tuple('#RETURN', tuple('7f698f009c90', tuple('get', 'put'))),
    new Map<unknown, unknown>([['a', 1], ['b', [1.5, null, true]], ['c', Uint8Array.of(0, 255)], [tuple(1, 2), -(2n ** 100n)]]),
    [0, 255, 256, 65535, 65536, -1, 2 ** 31, -(2 ** 31) - 1, 2n ** 64n, 1.5, -0, Number.NaN, Infinity],
    ['', 'x', 'é', '日本語', '😀', 'a\ud800b', 'z'.repeat(300)],
    [new Set([1, 2, 'x']), new FrozenSet([3]), ByteArray.of(1, 2), new Uint8Array(300)],
    [new Complex(1, 2), new Decimal('1.5'), new Timedelta(1, 2, 3), new PyDate(2024, 1, 2), new PyDateTime(2024, 1, 2, 3, 4, 5, 6, Timezone.utc)],
    [new OrderedDict([['k', 1]]), new PythonError('builtins', 'ValueError', ['bad'], new Map([['n', 1]]), 'tb'), new RangeError('r')],
    [shared, shared, tuple(shared, tuple(shared))],
    [point, point, opaque, new PickleGlobal('demo', 'Opaque')],
    Array.from({ length: 1200 }, (_, i) => (i % 3 === 0 ? i : i % 3 === 1 ? `s${i % 50}` : i / 7)),
    new Map(Array.from({ length: 1100 }, (_, i) => [`k${i}`, i] as const)),
  ];
  const corpus: Uint8Array[] = [];
  for (const value of values) for (const protocol of [2, 3, 4, 5]) corpus.push(dumps(value, { protocol, registry }));
  // Python 3.11 at protocols 0 and 1, Python 2.7 at 0 to 2.
  for (const hex of [
    '2856610a70300a49310a286c70310a635f636f646563730a656e636f64650a70320a2856780a70330a566c6174696e310a70340a7470350a5270360a61286470370a566b0a70380a46322e350a737470390a2e',
    '2858010000006171004b015d7101635f636f646563730a656e636f64650a710228580100000078710358060000006c6174696e317104747105527106617d710758010000006b7108474004000000000000737471092e',
    '635f5f6275696c74696e5f5f0a7365740a70300a28286c70310a49310a6149320a617470320a5270330a2e',
    '53276361665c7863335c786139270a70300a2e',
    '285327737472270a70300a4c314c0a4c313138303539313632303731373431313330333432344c0a46312e350a4e4930310a286c70310a56780a70320a617470330a2e',
    '286470300a53276b270a70310a532776270a70320a732e',
    '7d710055016b71015501767102732e',
  ]) {
    corpus.push(unhex(hex));
  }
  return corpus;
}

const OPCODES: number[] = Array.from(Buffer.from('(.012FIJKLMNPQRSTUVXabcd}eghijl]opqrst)uGBC', 'latin1'));
for (let code = 0x80; code <= 0x98; code++) OPCODES.push(code);
// Opcodes followed by a length (or count) field, and that field's width.
const LENGTHS = new Map<number, number>([
  [0x58, 4], [0x42, 4], [0x54, 4], [0x8b, 4], [0x4a, 4], [0x72, 4], [0x6a, 4],
  [0x8d, 8], [0x8e, 8], [0x96, 8], [0x95, 8],
  [0x8c, 1], [0x43, 1], [0x55, 1], [0x8a, 1], [0x71, 1], [0x68, 1],
]);

function mutate(seed: Uint8Array, random: () => number): Uint8Array {
  let data = Array.from(seed);
  const at = (): number => Math.floor(random() * (data.length + 1));
  const rounds = 1 + Math.floor(random() * 3);
  for (let round = 0; round < rounds; round++) {
    const kind = Math.floor(random() * 8);
    const p = Math.min(at(), Math.max(0, data.length - 1));
    switch (kind) {
      case 0: // flip a bit
        if (data.length > 0) data[p] = data[p]! ^ (1 << Math.floor(random() * 8));
        break;
      case 1: // any byte
        if (data.length > 0) data[p] = Math.floor(random() * 256);
        break;
      case 2: // an opcode in place of a byte
        if (data.length > 0) data[p] = OPCODES[Math.floor(random() * OPCODES.length)]!;
        break;
      case 3: // cut short
        data = data.slice(0, at());
        break;
      case 4: // bytes inserted
        data.splice(at(), 0, ...Array.from({ length: 1 + Math.floor(random() * 8) }, () => (random() < 0.5 ? OPCODES[Math.floor(random() * OPCODES.length)]! : Math.floor(random() * 256))));
        break;
      case 5: // a range deleted
        data.splice(p, 1 + Math.floor(random() * 8));
        break;
      case 6: {
        // a range repeated elsewhere
        const from = p;
        const piece = data.slice(from, from + 1 + Math.floor(random() * 32));
        data.splice(at(), 0, ...piece);
        break;
      }
      default: {
        // a length field set huge (or to the largest that still fits, or negative)
        for (let i = p; i < p + data.length; i++) {
          const q = i % data.length;
          const width = LENGTHS.get(data[q]!);
          if (width === undefined) continue;
          const choice = random();
          for (let b = 0; b < width && q + 1 + b < data.length; b++) {
            data[q + 1 + b] = choice < 0.4 ? 0xff : choice < 0.6 ? (b === width - 1 ? 0x7f : 0xff) : choice < 0.8 ? (b === 0 ? Math.floor(random() * 256) : 0) : b === width - 1 ? 0x80 : 0;
          }
          break;
        }
      }
    }
  }
  return Uint8Array.from(data);
}

export interface FuzzReport {
  count: number;
  seed: number;
  loaded: number;
  codes: Record<string, number>;
  failures: { index: number; input: string; error: string }[];
  slowestMs: number;
  totalMs: number;
  largestInput: number;
  peakHeapGrowthMiB: number;
}

export function fuzzPickle(count: number, seed = 0x5eed): FuzzReport {
  const random = seededRandom(seed);
  const corpus = fuzzCorpus();
  const report: FuzzReport = { count, seed, loaded: 0, codes: {}, failures: [], slowestMs: 0, totalMs: 0, largestInput: 0, peakHeapGrowthMiB: 0 };
  const heapAtStart = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    const input = mutate(corpus[Math.floor(random() * corpus.length)]!, random);
    report.largestInput = Math.max(report.largestInput, input.length);
    const options: LoadOptions = {
      registry,
      unknownGlobals: random() < 0.5 ? 'keep' : 'error',
      dict: random() < 0.2 ? 'object' : 'map',
      floats: random() < 0.2 ? 'exact' : 'number',
      encoding: random() < 0.3 ? 'latin1' : 'ascii',
      // Allocation tied to the input: 64 bytes a byte, and 64 KiB to start with.
      maxAllocation: 65_536 + 64 * input.length,
    };
    const t0 = performance.now();
    try {
      loads(input, options);
      report.loaded++;
    } catch (error) {
      if (error instanceof MultiprocError && error.code.startsWith('ERR_MP_PICKLE_')) {
        report.codes[error.code] = (report.codes[error.code] ?? 0) + 1;
      } else {
        report.failures.push({ index, input: Buffer.from(input).toString('hex').slice(0, 400), error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      }
    }
    const took = performance.now() - t0;
    if (took > report.slowestMs) report.slowestMs = took;
    if (index % 1000 === 0) {
      const usage = process.memoryUsage();
      report.peakHeapGrowthMiB = Math.max(report.peakHeapGrowthMiB, (usage.heapUsed + usage.arrayBuffers - heapAtStart) / 2 ** 20);
    }
  }
  report.totalMs = performance.now() - started;
  return report;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const count = Number(process.argv[2] ?? 100_000);
  const seed = Number(process.argv[3] ?? 0x5eed);
  const report = fuzzPickle(count, seed);
  console.log(JSON.stringify({ ...report, failures: report.failures.slice(0, 20), failureCount: report.failures.length }, null, 2));
  process.exitCode = report.failures.length === 0 ? 0 : 1;
}
