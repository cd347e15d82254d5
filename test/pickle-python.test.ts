import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { dumps, loads, PickleObject, PyDateTime, PythonError } from '../src/pickle/index.js';
import { corpusInterpreters, corpusRegistry, expectedValues } from './helpers/pickle-corpus.js';
import { finish, pythonScript } from './helpers/spawn.js';

interface Dumped {
  name: string;
  protocol: number;
  hex?: string;
  unpicklable?: string;
}

interface Checked {
  name: string;
  protocol: number;
  equal: boolean;
  identical: boolean;
  error: string | null;
  cause?: string;
}

/**
 * Values whose bytes differ from CPython's, and why: `list-2500-strings` holds 2,500 strings built at run time
 * ('s%d' % i), each a new str object that CPython writes out again; the writer memoizes equal strings by value (a
 * JavaScript string has no identity), so it refers back to the first 's0' instead. Python loads the same list.
 */
const notIdentical = new Set<string>(['list-2500-strings']);

const loadOptions = { registry: corpusRegistry, floats: 'exact', unknownGlobals: 'keep' } as const;

async function run(path: string, args: string[], input?: string): Promise<string> {
  const child = spawn(path, [pythonScript('pickle_corpus.py'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(input ?? '');
  const result = await finish(child, 60_000);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

const parse = <T>(text: string): T[] =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);

for (const { version, path } of corpusInterpreters()) {
  describe(`pickle: the corpus against Python ${version}`, () => {
    it('loads every value CPython dumps at protocols 0 to 5 as expected', async () => {
      const dumped = parse<Dumped>(await run(path, ['dump']));
      assert.deepEqual(new Set(dumped.map((d) => d.name)), new Set(Object.keys(expectedValues)), 'the corpus and the expected values name the same values');
      for (const entry of dumped) {
        if (entry.hex === undefined) {
          assert.ok(entry.name === 'slotted' && entry.protocol < 2, `${entry.name} at ${entry.protocol}: ${entry.unpicklable}`);
          continue;
        }
        const value = loads(Buffer.from(entry.hex, 'hex'), loadOptions);
        // Protocols 0 to 3 do not carry a datetime's fold.
        const expected = entry.name === 'datetime-fold' && entry.protocol < 4 ? new PyDateTime(2024, 11, 3, 1, 30) : expectedValues[entry.name];
        assert.deepStrictEqual(value, expected, `${entry.name} at protocol ${entry.protocol}`);
      }
      assert.ok(dumped.length > 500);
    });

    it('writes what CPython loads back equal, with the bytes its C pickler writes', async () => {
      const lines: string[] = [];
      for (const [name, value] of Object.entries(expectedValues)) {
        for (const protocol of [2, 3, 4, 5]) {
          lines.push(JSON.stringify({ name, protocol, hex: Buffer.from(dumps(value, { protocol, registry: corpusRegistry })).toString('hex') }));
        }
      }
      const checked = parse<Checked>(await run(path, ['check'], `${lines.join('\n')}\n`));
      assert.equal(checked.length, lines.length);
      for (const entry of checked) {
        const where = `${entry.name} at protocol ${entry.protocol}`;
        assert.equal(entry.error, null, where);
        assert.ok(entry.equal, `${where}: Python loads a different value`);
        assert.equal(entry.identical, !notIdentical.has(entry.name), `${where}: the bytes ${entry.identical ? 'match' : 'differ from'} CPython's`);
      }
      const pool = checked.find((entry) => entry.name === 'pool-exception');
      assert.match(pool?.cause ?? '', /ValueError: in a task/, 'the traceback text comes back as the exception cause');
    });
  });
}

describe('pickle: the corpus, unknown globals', () => {
  it('refuses demo.Opaque unless unknownGlobals is keep, and then writes it back byte for byte', async () => {
    const { path } = corpusInterpreters()[0]!;
    const opaque = parse<Dumped>(await run(path, ['dump'])).filter((d) => d.name === 'opaque' && d.protocol >= 2);
    for (const entry of opaque) {
      const bytes = Buffer.from(entry.hex!, 'hex');
      assert.throws(() => loads(bytes, { registry: corpusRegistry }), { code: 'ERR_MP_PICKLE_GLOBAL', module: 'demo', qualname: 'Opaque' });
      const kept = loads(bytes, { registry: corpusRegistry, unknownGlobals: 'keep' });
      assert.ok(kept instanceof PickleObject);
      assert.equal(`${kept.module}.${kept.name}`, 'demo.Opaque');
      assert.equal(Buffer.from(dumps(kept, { protocol: entry.protocol, registry: corpusRegistry })).toString('hex'), entry.hex);
    }
    assert.equal(opaque.length, 4);
    const error = loads(Buffer.from(parse<Dumped>(await run(path, ['dump'])).find((d) => d.name === 'value-error' && d.protocol === 4)!.hex!, 'hex'));
    assert.ok(error instanceof PythonError && error.pythonClass === 'ValueError');
  });
});
