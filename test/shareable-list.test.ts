import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { ShareableList, SharedMemory, SharedMemoryManager, type ShareableItem } from '../src/index.js';
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
    using list = new ShareableList<ShareableItem>(['abc', 1, bytes('xy')]);
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
    using none = new ShareableList(null);
    assert.equal(none.length, 0, 'ShareableList(None) is an empty list in Python too');
    using floats = new ShareableList([1.5, 2 ** 60, -0]);
    assert.equal(floats.format, 'ddd');
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

/** A value as test/python/shareable_list_values.py reads it: tagged where JSON is not enough. */
function toPython(item: ShareableItem): unknown {
  if (item instanceof Uint8Array) return { bytes: [...item] };
  if (typeof item === 'bigint') return { int: String(item) };
  if (typeof item !== 'number') return item;
  if (Number.isSafeInteger(item) && !Object.is(item, -0)) return { int: String(item) };
  if (Number.isNaN(item)) return { float: 'nan' };
  if (!Number.isFinite(item)) return { float: item > 0 ? 'inf' : '-inf' };
  return { float: Object.is(item, -0) ? '-0.0' : String(item) };
}

/** What reading an item back gives: integers within 2^53 as numbers, whatever type they were written as. */
function readBack(item: ShareableItem): ShareableItem {
  return typeof item === 'bigint' && item >= BigInt(Number.MIN_SAFE_INTEGER) && item <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(item) : item;
}

/** Python's slot rule, written out here on its own: `8 * (len(item) // 8 + 1)`, len in characters for a str. */
function pythonSlot(item: string | Uint8Array): number {
  return 8 * (Math.floor((typeof item === 'string' ? [...item].length : item.length) / 8) + 1);
}

const units = ['a', 'é', '€', '😀'];
const texts: string[] = [];
for (let n = 0; n <= 20; n++) {
  for (const unit of units) texts.push(unit.repeat(n));
  texts.push(Array.from({ length: n }, (_, i) => units[i % units.length]).join(''));
  texts.push(Array.from({ length: n }, (_, i) => (i === n - 1 ? '😀' : 'a')).join(''));
}
const fitting = [...new Set(texts)].filter((text) => Buffer.byteLength(text) <= pythonSlot(text));
const refused = [...new Set(texts)].filter((text) => Buffer.byteLength(text) > pythonSlot(text));
const byteValues = Array.from({ length: 21 }, (_, n) => Uint8Array.from({ length: n }, (_, i) => ((i * 37) % 255) + 1));
const manyValues: ShareableItem[] = [
  0, 1, -1, 42, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2n ** 53n, 2n ** 63n - 1n, -(2n ** 63n), 7n,
  1.5, -273.154, 0.1, 1e300, 5e-324, -0, NaN, Infinity, -Infinity, 2 ** 60,
  true, false, null,
  ...fitting,
  ...byteValues, Uint8Array.of(0, 1, 0, 2),
];

async function pythonCreates(items: ShareableItem[]): Promise<{ name: string; raw: string; format: string; items: unknown[]; done: () => Promise<void> }> {
  const python = startPython(pythonScript('shareable_list_values.py'), ['create']);
  python.stdin?.write(`${JSON.stringify(items.map(toPython))}\n`);
  const made = JSON.parse(await firstLine(python, 30_000)) as { name: string; raw: string; format: string; items: unknown[] };
  return {
    ...made,
    done: async () => {
      python.stdin?.end('\n');
      const result = await finish(python);
      assert.equal(result.code, 0, result.stderr);
    },
  };
}

describe('ShareableList: the same bytes as Python, for many values', () => {
  it('has Python\'s format: slots by characters (a 7-character, 8-byte string is 8s)', () => {
    using list = new ShareableList(['encodés', 'exactly8', bytes('12345678'), '', new Uint8Array(0), '😀😀'], {});
    assert.equal(list.format, '8s16s16s8s8s8s');
    assert.deepEqual(list.toArray(), ['encodés', 'exactly8', bytes('12345678'), '', new Uint8Array(0), '😀😀']);
  });

  it('a list made here is byte for byte the list Python makes of the same values, and Python reads it', async () => {
    assert.ok(fitting.length > 40 && refused.length > 40, `${fitting.length} strings fit, ${refused.length} do not`);
    const python = await pythonCreates(manyValues);
    try {
      using list = new ShareableList(manyValues);
      const ours = Buffer.from(readFileSync(`/dev/shm/${list.shm.name}`)).toString('hex');
      assert.equal(list.format, python.format);
      assert.equal(ours, python.raw);
      assert.deepEqual(list.toArray(), manyValues.map(readBack));
      assert.deepEqual(python.items.map(fromPython), manyValues.map(readBack));
      const attached = await runPython(pythonScript('shareable_list_values.py'), ['attach', list.shm.name]);
      assert.equal(attached.code, 0, attached.stderr);
      const seen = JSON.parse(attached.stdout) as { raw: string; format: string; items: unknown[] };
      assert.equal(seen.raw, ours);
      assert.equal(seen.format, list.format);
      assert.deepEqual(seen.items.map(fromPython), manyValues.map(readBack));
    } finally {
      await python.done();
    }
  });

  it('each value alone, and in reverse order, also has Python\'s bytes; TypeScript reads Python\'s list', async () => {
    const reversed = [...manyValues].reverse();
    const python = await pythonCreates(reversed);
    try {
      using list = new ShareableList(reversed);
      assert.equal(Buffer.from(readFileSync(`/dev/shm/${list.shm.name}`)).toString('hex'), python.raw);
      using theirs = ShareableList.attach(python.name);
      assert.deepEqual(theirs.toArray(), reversed.map(readBack));
      assert.equal(theirs.format, python.format);
    } finally {
      await python.done();
    }
    for (const value of [...fitting.slice(0, 30), ...byteValues]) {
      using one = new ShareableList([value]);
      assert.equal(one.format, `${pythonSlot(value)}s`, JSON.stringify(toPython(value)));
    }
  });

  it('refuses, and changes nothing, the strings Python would truncate in its slots', async () => {
    const probe = startPython(pythonScript('shareable_list_values.py'), ['probe']);
    probe.stdin?.end(`${JSON.stringify(refused)}\n`);
    const result = await finish(probe);
    assert.equal(result.code, 0, result.stderr);
    const python = JSON.parse(result.stdout) as ({ format: string; read: unknown } | { format: string; error: string })[];
    refused.forEach((text, i) => {
      const seen = python[i]!;
      assert.ok('error' in seen || seen.read !== text, `Python keeps ${text} intact, so it should fit`);
      assert.equal(seen.format, `${pythonSlot(text)}s`);
      throwsCode(() => new ShareableList(['ok', text]), 'ERR_MP_SL_ITEM_TOO_LARGE');
      using asBytes = new ShareableList([bytes(text)]);
      assert.equal(new TextDecoder().decode(asBytes.get(0) as Uint8Array), text, 'its UTF-8 as bytes fits');
    });
    assert.throws(() => new ShareableList(['\uD800']), TypeError, 'a lone surrogate has no UTF-8');
  });
});

describe('ShareableList: typed and indexable', () => {
  it('reads and writes list[i], iterates, and keeps get/set', () => {
    using list = new ShareableList<number>([1, 2, 3]);
    list[0] = 10;
    list[-1] = 30;
    assert.equal(list[0], 10);
    assert.equal(list[1], 2);
    assert.equal(list[-1], 30);
    let sum = 0;
    for (const n of list) sum += n;
    assert.equal(sum, 42);
    const items: number[] = [...list];
    assert.deepEqual(items, [10, 2, 30]);
    assert.equal(list.get(0), 10);
    list.set(1, 20);
    assert.equal(list[1], 20);
    assert.throws(() => list[3], RangeError);
    assert.throws(() => {
      list[-4] = 1;
    }, RangeError);
    const loose = list as unknown as Record<string, unknown>;
    assert.equal(loose['01'], undefined, 'only canonical integers are items');
    assert.equal(loose['1.5'], undefined);
    loose['extra'] = 'plain property';
    assert.equal(loose['extra'], 'plain property');
    assert.equal(Object.keys(list).includes('0'), false);
    const typeOnly = (): void => {
      // @ts-expect-error a ShareableList<number> holds numbers
      list[0] = 'ten';
    };
    void typeOnly;
  });

  it('a subclass and a list attached by name index too', () => {
    class Named extends ShareableList<string> {}
    using named = new Named(['a', 'b']);
    named[1] = 'c';
    using other = ShareableList.attach<string>(named.shm.name);
    assert.equal(other[1], 'c');
    other[0] = 'z';
    assert.equal(named[0], 'z');
    other.close();
  });
});

// Ported from CPython's Lib/test/_test_multiprocessing.py (_TestSharedMemory): the test logic, in TypeScript.
// test_shared_memory_ShareableList_pickling is not applicable: a list travels by reference through the codec.
describe('CPython _TestSharedMemory, ported', () => {
  it('test_shared_memory_ShareableList_basics', () => {
    using sl = new ShareableList(['howdy', bytes('HoWdY'), -273.154, 100, null, true, 42]);
    const repr = inspect(sl);
    assert.ok(repr.includes(sl.shm.name));
    assert.ok(repr.includes(inspect(sl.toArray())));
    assert.throws(() => sl[7], RangeError);
    assert.throws(() => {
      sl[7] = 2;
    }, RangeError);
    const format = sl.format;
    sl[0] = 'howdy';
    assert.equal(sl.format, format, 'str -> str keeps the format');
    assert.equal(sl.format, '8s8sdqxxxxxx?xxxxxxxx?q');
    assert.equal(sl.length, 7);
    throwsCode(() => sl.index('100'), 'ERR_MP_SL_NOT_FOUND');
    assert.equal(sl.index(100), 3);
    assert.equal(sl[0], 'howdy');
    assert.equal(sl[-2], true);
    assert.deepEqual([...sl], ['howdy', bytes('HoWdY'), -273.154, 100, null, true, 42]);
    sl[3] = 42;
    assert.equal(sl[3], 42);
    sl[4] = 'some';
    assert.equal(sl[4], 'some');
    assert.equal(sl.format, '8s8sdq8sxxxxxxx?q');
    throwsCode(() => (sl[4] = 'far too many'), 'ERR_MP_SL_ITEM_TOO_LARGE');
    assert.equal(sl[4], 'some');
    sl[0] = 'encodés';
    assert.equal(sl[0], 'encodés');
    assert.deepEqual(sl[1], bytes('HoWdY'), 'no spillage');
    throwsCode(() => (sl[0] = 'encodées'), 'ERR_MP_SL_ITEM_TOO_LARGE');
    assert.deepEqual(sl[1], bytes('HoWdY'));
    throwsCode(() => (sl[1] = bytes('123456789')), 'ERR_MP_SL_ITEM_TOO_LARGE');
    assert.deepEqual(sl[1], bytes('HoWdY'));
    assert.equal(sl.count(42), 2);
    assert.equal(sl.count(bytes('HoWdY')), 1);
    assert.equal(sl.count(bytes('adios')), 0);

    const duplicate = `mp_sl_dup_${process.pid}`;
    {
      using copy = new ShareableList(sl, { name: duplicate });
      assert.notEqual(copy.shm.name, sl.shm.name);
      assert.equal(copy.shm.name, duplicate);
      assert.deepEqual(copy.toArray(), sl.toArray());
      assert.equal(copy.format, sl.format);
      copy[-1] = 77;
      assert.equal(copy[-1], 77);
      assert.notEqual(sl[-1], 77);
    }

    const tethered = ShareableList.attach(sl.shm.name);
    assert.equal(tethered.shm.name, sl.shm.name);
    tethered[-1] = 880;
    assert.equal(sl[-1], 880);
    tethered.close();

    using empty = new ShareableList();
    assert.equal(empty.length, 0);
    assert.equal(empty.format, '');
    assert.equal(empty.count('any'), 0);
    throwsCode(() => empty.index(null), 'ERR_MP_SL_NOT_FOUND');
    assert.equal(empty.shm.size, 16);
  });

  it('test_shared_memory_SharedMemoryManager_basics', () => {
    const smm1 = new SharedMemoryManager();
    throwsCode(() => smm1.sharedMemory(9), 'ERR_MP_MANAGER_NOT_STARTED');
    throwsCode(() => smm1.shareableList([1]), 'ERR_MP_MANAGER_NOT_STARTED');
    smm1.start();
    throwsCode(() => smm1.start(), 'ERR_MP_MANAGER_ALREADY_STARTED');
    const lol = [5, 6, 7, 8, 9].map((i) => smm1.shareableList(Array.from({ length: i }, (_, k) => k)));
    const lom = [32, 48, 64, 80, 96, 112].map((j) => smm1.sharedMemory(j));
    const doppelganger = ShareableList.attach(lol[0]!.shm.name);
    assert.equal(doppelganger.length, 5);
    doppelganger.close();
    const doppelgangerShm = SharedMemory.attach(lom[0]!.name);
    assert.ok(doppelgangerShm.size >= 32);
    doppelgangerShm.close();
    let held = lom[0]!.name;
    assert.equal(smm1.listSegments().length, 11);
    smm1.shutdown();
    throwsCode(() => SharedMemory.attach(held), 'ERR_MP_SHM_NOT_FOUND');
    throwsCode(() => ShareableList.attach(lol[1]!.shm.name), 'ERR_MP_SHM_NOT_FOUND');
    throwsCode(() => smm1.shareableList([1]), 'ERR_MP_MANAGER_SHUT_DOWN');
    throwsCode(() => smm1.start(), 'ERR_MP_MANAGER_SHUT_DOWN');
    {
      using smm2 = new SharedMemoryManager().start();
      const sl = smm2.shareableList('howdy');
      assert.deepEqual(sl.toArray(), ['h', 'o', 'w', 'd', 'y']);
      smm2.sharedMemory(128);
      held = sl.shm.name;
    }
    throwsCode(() => ShareableList.attach(held), 'ERR_MP_SHM_NOT_FOUND');
  });
});
