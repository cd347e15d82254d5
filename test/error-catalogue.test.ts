// The error catalogue (src/error-codes.ts) against the code that raises the errors and against docs/errors.md.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { errorCodes, type ErrorCode } from '../src/error-codes.js';
import { MultiprocError } from '../src/errors.js';
import * as multiproc from '../src/index.js';
import { QueueStateError } from '../src/queue/errors.js';
import { DecodeError } from '../src/serialize/errors.js';
import { runNode } from './helpers/spawn.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const catalogue: Record<string, { class: string; meaning: string } | undefined> = errorCodes;

function sources(dir: string): { file: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [{ file: path.relative(root, full), text: readFileSync(full, 'utf8') }] : [];
  });
}

const files = sources(path.join(root, 'src')).filter(({ file }) => file !== path.join('src', 'error-codes.ts'));

/** Where each code is raised: `new SomeError('ERR_MP_...'` or `super('ERR_MP_...'` inside `class SomeError`. */
function raisers(): { code: string; cls: string; where: string }[] {
  const found: { code: string; cls: string; where: string }[] = [];
  for (const { file, text } of files) {
    for (const match of text.matchAll(/new (\w+)\(\s*'(ERR_MP_\w+)'/g)) found.push({ code: match[2]!, cls: match[1]!, where: file });
    for (const match of text.matchAll(/super\(\s*'(ERR_MP_\w+)'/g)) {
      const enclosing = [...text.slice(0, match.index).matchAll(/class (\w+) extends/g)].at(-1);
      found.push({ code: match[1]!, cls: enclosing?.[1] ?? '(no class)', where: file });
    }
  }
  return found;
}

describe('the error catalogue', () => {
  it('lists every ERR_MP_ code src/ mentions, and no code src/ never raises', () => {
    const mentioned = new Set(files.flatMap(({ text }) => [...text.matchAll(/\bERR_MP_[A-Z0-9_]+/g)].map((match) => match[0])));
    const missing = [...mentioned].filter((code) => catalogue[code] === undefined);
    assert.deepEqual(missing, [], 'codes used in src/ but missing from src/error-codes.ts');
    const raised = new Set(raisers().map(({ code }) => code));
    const unraised = Object.keys(errorCodes).filter((code) => !raised.has(code));
    assert.deepEqual(unraised, [], 'codes in the catalogue that no error in src/ is made with');
  });

  it('names, for each code, the class that raises it', () => {
    const wrong = raisers().filter(({ code, cls }) => catalogue[code]?.class !== cls)
      .map(({ code, cls, where }) => `${where}: ${cls} raises ${code}, listed under ${catalogue[code]?.class}`);
    assert.deepEqual(wrong, []);
  });

  it('names exported subclasses of MultiprocError, each meaning on one line', () => {
    const exported = multiproc as unknown as Record<string, unknown>;
    for (const [code, entry] of Object.entries(errorCodes)) {
      const cls = exported[entry.class];
      assert.ok(typeof cls === 'function' && (cls === MultiprocError || cls.prototype instanceof MultiprocError), `${code}: ${entry.class} is not an exported error class`);
      assert.match(entry.meaning, /^[^\n]{20,}[.)]$/, `${code}: its meaning is one sentence or more, ending with a full stop`);
    }
  });

  it('types the code: a misspelled code, or another class\'s, does not compile', () => {
    // @ts-expect-error not a code in the catalogue
    const typo = new MultiprocError('ERR_MP_TIME_OUT', 'typo');
    // @ts-expect-error a SyncStateError code, not a QueueStateError one
    const misplaced = new QueueStateError('ERR_MP_SYNC_CLOSED', 'misplaced');
    // @ts-expect-error EncodeError's code, not one of DecodeError's
    const decode = new DecodeError('ERR_MP_ENCODE', 'misplaced');
    const right: ErrorCode = new QueueStateError('ERR_MP_PIPE_CLOSED', 'fine').code;
    assert.deepEqual([typo.code, misplaced.code, decode.code, right], ['ERR_MP_TIME_OUT', 'ERR_MP_SYNC_CLOSED', 'ERR_MP_ENCODE', 'ERR_MP_PIPE_CLOSED']);
  });
});

describe('docs/errors.md', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'mp-error-docs-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  const script = path.join(root, 'scripts', 'error-docs.mjs');
  const docs = readFileSync(path.join(root, 'docs', 'errors.md'), 'utf8');

  it('has one row per code, with its class, in the catalogue\'s order', () => {
    const rows = [...docs.matchAll(/^\| `(ERR_MP_\w+)` \| `(\w+)` \| (.+) \|$/gm)].map((match) => [match[1], match[2]]);
    assert.deepEqual(rows, Object.entries(errorCodes).map(([code, entry]) => [code, entry.class]));
  });

  it('is what scripts/error-docs.mjs writes from the catalogue', async () => {
    const result = await runNode(script, ['--check']);
    assert.equal(result.code, 0, result.stderr);
  });

  it('is reported stale when a row is missing or a meaning differs', async () => {
    const dropped = path.join(scratch, 'dropped.md');
    writeFileSync(dropped, docs.replace(/^\| `ERR_MP_PIPE_EOF` .*\n/m, ''));
    const edited = path.join(scratch, 'edited.md');
    writeFileSync(edited, docs.replace('Pass a larger buffer.', 'Pass a bigger buffer.'));
    assert.notEqual(readFileSync(dropped, 'utf8'), docs);
    assert.notEqual(readFileSync(edited, 'utf8'), docs);
    for (const file of [dropped, edited]) {
      const result = await runNode(script, ['--check', file]);
      assert.equal(result.code, 1, `${file} passed the check`);
      assert.match(result.stderr, /out of date with src\/error-codes\.ts/);
    }
  });
});
