import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SharedMemory } from '../src/shm/shared-memory.js';
import { fixture, runNode } from './helpers/spawn.js';

describe('SharedMemory: bad input gets a clear error', () => {
  it('rejects invalid names with a RangeError naming the rule', () => {
    const cases: [unknown, RegExp][] = [
      ['', /non-empty/],
      ['a/b', /without '\/'/],
      ['..', /other than/],
      ['x'.repeat(256), /at most 255/],
      ['a:b', /without ':'/],
      ['ünï', /printable ASCII/],
    ];
    for (const [name, rule] of cases) {
      assert.throws(() => new SharedMemory({ name: name as string, create: true, size: 8 }), (error: Error) =>
        error instanceof RangeError && rule.test(error.message) && error.message.startsWith('Expected `name`'));
    }
    assert.throws(() => SharedMemory.attach(42 as unknown as string), TypeError);
    assert.throws(() => new SharedMemory({}), /a segment name when attaching/);
  });

  it('rejects sizes that are 0, negative, fractional or too large', () => {
    for (const [size, rule] of [[0, /positive/], [-1, /positive/], [1.5, /whole number/], [2 ** 40, /at most/], [Number.NaN, /whole number/]] as const) {
      assert.throws(() => SharedMemory.create(size), (error: Error) => error instanceof RangeError && rule.test(error.message));
    }
    assert.throws(() => SharedMemory.create('10' as unknown as number), TypeError);
  });

  it('attach to a missing name is ERR_MP_SHM_NOT_FOUND with errno, syscall and path', () => {
    assert.throws(() => SharedMemory.attach(`mp_missing_${process.pid}`), (error: Record<string, unknown>) =>
      error['code'] === 'ERR_MP_SHM_NOT_FOUND' && error['errno'] === -2 && error['syscall'] === 'open' && error['path'] === `/mp_missing_${process.pid}`);
  });

  it('exclusive create of an existing name is ERR_MP_SHM_EXISTS; openExisting attaches instead', () => {
    using first = SharedMemory.create(32, { name: `mp_dup_${process.pid}` });
    try {
      assert.throws(() => SharedMemory.create(32, { name: first.name }), { code: 'ERR_MP_SHM_EXISTS' });
      using second = new SharedMemory({ name: first.name, create: true, size: 32, openExisting: true });
      assert.equal(second.created, false);
      assert.equal(second.size, 32);
    } finally {
      first.unlink();
    }
  });

  it('an empty (0-byte) segment cannot be attached: ERR_MP_SHM_EMPTY, and it is left alone', () => {
    const name = `mp_empty_${process.pid}`;
    writeFileSync(`/dev/shm/${name}`, '', { mode: 0o600 });
    try {
      assert.throws(() => SharedMemory.attach(name), { code: 'ERR_MP_SHM_EMPTY' });
      assert.ok(existsSync(`/dev/shm/${name}`));
    } finally {
      rmSync(`/dev/shm/${name}`, { force: true });
    }
  });

  it('a segment whose owner record cannot be written is removed again, with ERR_MP_SHM_SYSTEM', () => {
    const saved = process.env['TMPDIR'];
    const name = `mp_norecord_${process.pid}`;
    process.env['TMPDIR'] = '/dev/null/not-a-folder';
    try {
      assert.throws(() => SharedMemory.create(64, { name }), { code: 'ERR_MP_SHM_SYSTEM' });
    } finally {
      if (saved === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = saved;
    }
    assert.equal(existsSync(`/dev/shm/${name}`), false);
  });

  it('a dir that does not exist is a RangeError', () => {
    assert.throws(() => SharedMemory.create(8, { dir: '/nonexistent/folder' }), /an existing folder/);
  });

  it('not enough space is ERR_MP_SHM_NO_SPACE at open, with advice, and leaves nothing behind', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mp-tiny-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    if (mounted.status !== 0) rmSync(dir, { recursive: true, force: true });
    // These machines allow root to mount a tmpfs; a machine that does not must fail here, not pass silently.
    assert.equal(mounted.status, 0, `cannot mount a 1 MiB tmpfs for the no-space test: ${mounted.stderr.toString().trim()}`);
    try {
      assert.throws(() => SharedMemory.create(2 * 1024 * 1024, { dir, name: 'too_big' }), (error: Record<string, unknown>) =>
        error['code'] === 'ERR_MP_SHM_NO_SPACE' && error['syscall'] === 'posix_fallocate' &&
        /Docker/.test(String(error['message'])) && /`dir` option/.test(String(error['message'])));
      assert.equal(existsSync(path.join(dir, 'too_big')), false, 'the half-made segment was removed');
      using fits = SharedMemory.create(512 * 1024, { dir });
      new Uint8Array(fits.buf).fill(1); // every page is really there: no SIGBUS
      fits.unlink();
    } finally {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a full /dev/shm fails at open in a process of its own, never with SIGBUS', () => {
    // A private mount namespace whose /dev/shm is 1 MiB; the rest of the machine is untouched.
    const script = `mount -t tmpfs -o size=1m tmpfs /dev/shm && exec "${process.execPath}" "${fixture('shm-child.js')}" create-and-hang ${4 * 1024 * 1024}`;
    const probe = spawnSync('unshare', ['--mount', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs /dev/shm']);
    assert.equal(probe.status, 0, `cannot make a private /dev/shm for the no-space test: ${probe.stderr.toString().trim()}`);
    const result = spawnSync('unshare', ['--mount', 'sh', '-c', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(result.signal, null, 'no SIGBUS');
    assert.equal(result.status, 1);
    assert.match(result.stderr, /ERR_MP_SHM_NO_SPACE/);
    assert.match(result.stderr, /Not enough space in \/dev\/shm/);
  });
});

describe('without the native addon', () => {
  it('says what failed and how to rebuild; features without the addon keep working', async () => {
    // A copy of the package whose addon was never built.
    const root = mkdtempSync(path.join(os.tmpdir(), 'mp-noaddon-'));
    try {
      const dist = fileURLToPath(new URL('../src', import.meta.url));
      mkdirSync(path.join(root, 'dist'), { recursive: true });
      cpSync(dist, path.join(root, 'dist', 'src'), { recursive: true });
      writeFileSync(path.join(root, 'binding.gyp'), '{}');
      writeFileSync(path.join(root, 'package.json'), '{"type":"module"}');
      const script = path.join(root, 'probe.mjs');
      writeFileSync(script, `
        const mp = await import(${JSON.stringify(pathToFileURL(path.join(root, 'dist', 'src', 'index.js')).href)});
        console.log('available', mp.nativeAvailable());
        console.log('error class', new mp.MultiprocError('ERR_MP_X', 'x') instanceof mp.MultiprocError);
        try { mp.SharedMemory.create(8); } catch (e) { console.log(e.code); console.log(e.message); }
      `);
      const result = await runNode(script);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /available false/);
      assert.match(result.stdout, /error class true/);
      assert.match(result.stdout, /ERR_MP_NATIVE_UNAVAILABLE/);
      assert.match(result.stdout, /never built/);
      assert.match(result.stdout, /npm run build:native/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
