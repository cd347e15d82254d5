import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ShareableList, type ShareableItem } from '../src/index.js';
import { inProcess, inThread } from './helpers/agents.js';
import { firstLine, finish, pythonScript, runPython, startPython } from './helpers/spawn.js';
import { throwsCode } from './helpers/codes.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const samples: Record<string, ShareableItem[]> = {
  one: ['howdy', bytes('HoWdY'), -273.154, 100, null, true, 42],
  two: ['', new Uint8Array(0), 'héllo wörld', 'exactly8', 2n ** 63n - 1n, -1, false, Infinity],
  empty: [],
};

function fromPython(value: unknown): ShareableItem {
  if (typeof value !== 'object' || value === null) return value as ShareableItem;
  const tagged = value as { bytes?: number[]; int?: string; float?: string };
  if (tagged.bytes !== undefined) return new Uint8Array(tagged.bytes);
  if (tagged.int !== undefined) return BigInt(tagged.int);
  if (tagged.float !== undefined) return Number(tagged.float.replace('inf', 'Infinity'));
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}

describe('ShareableList', () => {
  it('lays out the same bytes as Python for the same items', async () => {
    for (const [key, items] of Object.entries(samples)) {
      const python = startPython(pythonScript('shareable_list.py'), ['create', key]);
      const { name, raw } = JSON.parse(await firstLine(python)) as { name: string; raw: string };
      python.stdin?.end('\n');
      await finish(python);
      using list = new ShareableList(items);
      assert.equal(Buffer.from(readFileSync(`/dev/shm/${list.shm.name}`)).toString('hex'), raw, `${key} (python's ${name})`);
      assert.deepEqual(list.toArray(), items.map((item) => (typeof item === 'bigint' ? item : item)));
    }
  });

  it('is read and written by Python (attach), with Python\'s errors', async () => {
    using list = new ShareableList(['ünïcödé ok', 1.5, bytes('\x01\x02'), 'abc', -7, null, true]);
    const original = list.toArray();
    const result = await runPython(pythonScript('shareable_list.py'), ['attach', list.shm.name]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { before: { items: unknown[]; format: string }; after: { items: unknown[] }; errors: string[] };
    assert.deepEqual(report.before.items.map(fromPython), original);
    assert.equal(report.before.format, '16sd8s8sqxxxxxx?xxxxxxxx?');
    assert.deepEqual(report.errors, ['bytes/str item exceeds available storage', 'assignment index out of range']);
    assert.deepEqual(list.toArray(), ['from python', 12345, null, 'abc', -7, null, true]);
    assert.equal(list.format, '16sqxxxxxx?x8sqxxxxxx?xxxxxxxx?');
  });

  it('attaches to a list Python created, and Python sees what TypeScript wrote', async () => {
    const python = startPython(pythonScript('shareable_list.py'), ['create', 'one']);
    const { name } = JSON.parse(await firstLine(python)) as { name: string };
    const list = ShareableList.attach(name);
    assert.deepEqual(list.toArray(), samples['one']);
    assert.equal(list.format, '8s8sdqxxxxxx?xxxxxxxx?q');
    list.set(0, 'hi');
    list.set(1, 3.25);
    list.set(3, true);
    list.set(4, bytes('Z'));
    list.set(-1, 2n ** 62n);
    throwsCode(() => list.set(0, 'much too long for eight'), 'ERR_MP_SL_ITEM_TOO_LARGE');
    list.close();
    const lines: string[] = [];
    python.stdout?.setEncoding('utf8').on('data', (chunk: string) => lines.push(chunk));
    python.stdin?.end('\n');
    const result = await finish(python);
    assert.equal(result.code, 0, result.stderr);
    const after = JSON.parse(lines.join('').trim()) as { items: unknown[]; format: string };
    assert.deepEqual(after.items.map(fromPython), ['hi', 3.25, -273.154, true, bytes('Z'), true, 2n ** 62n]);
    assert.equal(after.format, '8sdd' + 'xxxxxxx?' + '8s' + 'xxxxxxx?' + 'q');
  });

  it('follows Python\'s type rules and errors, changing nothing on error', () => {
    using list = new ShareableList(['abc', 1, bytes('xy')]);
    const snapshot = Buffer.from(readFileSync(`/dev/shm/${list.shm.name}`));
    throwsCode(() => list.set(0, 'x'.repeat(9)), 'ERR_MP_SL_ITEM_TOO_LARGE');
    throwsCode(() => list.set(2, new Uint8Array(9)), 'ERR_MP_SL_ITEM_TOO_LARGE');
    assert.throws(() => list.set(1, 2n ** 63n), RangeError);
    assert.throws(() => list.set(1, [1] as unknown as ShareableItem), TypeError);
    assert.throws(() => list.set(1, undefined as unknown as ShareableItem), TypeError);
    assert.throws(() => list.set(3, 1), RangeError);
    assert.throws(() => list.get(-4), RangeError);
    assert.deepEqual(Buffer.from(readFileSync(`/dev/shm/${list.shm.name}`)), snapshot, 'nothing changed');
    list.set(0, 'x'.repeat(8));
    assert.equal(list.get(0), 'xxxxxxxx', 'a value exactly as wide as its slot fits, as in Python');
    list.set(1, 'zz');
    assert.equal(list.format, '8s8s8s');
    assert.equal(list.get(-2), 'zz');
    list.set(2, 'a\0\0');
    assert.equal(list.get(2), 'a', 'trailing NULs are lost, as in Python');
    assert.equal(list.count('zz'), 1);
    assert.equal(list.index('zz'), 1);
    throwsCode(() => list.index('nope'), 'ERR_MP_SL_NOT_FOUND');
    assert.throws(() => new ShareableList([{}] as unknown as ShareableItem[]), TypeError);
    assert.throws(() => new ShareableList(null), TypeError);
    assert.equal(new ShareableList([1.5, 2 ** 60, -0]).format, 'ddd');
  });

  it('travels by reference to a thread and a process', async () => {
    using list = new ShareableList(['start', 1, 2.5]);
    const [fromThread] = await inThread('shareable-list', { list });
    assert.deepEqual(fromThread, { seen: ['start', 1, 2.5] });
    const [fromProcess] = await inProcess('shareable-list', { list });
    assert.deepEqual(fromProcess, { seen: ['child', 1, 7.5] });
    assert.deepEqual(list.toArray(), ['child', 1, 7.5]);
  });
});
