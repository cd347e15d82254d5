// An unmodified Python SyncManager client (test/python/sync_client.py) run against Python's own server and against
// the TypeScript one, on Python 3.11, 3.12 and 3.13: every typeid's values, return values and exceptions must match.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, it, type TestContext } from 'node:test';
import { pythonFor } from './helpers/python-versions.js';
import { finish, firstLine, fixture, pythonScript } from './helpers/spawn.js';

const authkey = 'py-client-key';

function start(t: TestContext, command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

/** A RemoteError's traceback differs in its frames; what a user reads is its last line. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) {
    if (value[0] === 'RemoteError' && typeof value[1] === 'string') {
      const lines = value[1].split('\n').filter((line) => line.trim() !== '' && !/^-+$/.test(line));
      return ['RemoteError', lines.at(-1)];
    }
    return value.map(normalise);
  }
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalise(item)]));
  return value;
}

/** Runs the client against a server (Python's or ours), which it shuts down at the end; its JSON, and the server's exit. */
async function runClient(t: TestContext, python: string, server: 'py' | 'ts'): Promise<Record<string, unknown>> {
  const child = server === 'py' ? start(t, python, [pythonScript('sync_server.py'), authkey]) : start(t, process.execPath, [fixture('managers-sync-server.js'), authkey]);
  const served = finish(child, 120_000);
  const port = /^listening 127\.0\.0\.1 (\d+)$/.exec(await firstLine(child, 20_000))?.[1];
  assert.ok(port !== undefined);
  const client = await finish(start(t, python, [pythonScript('sync_client.py'), port, authkey, 'shutdown']), 120_000);
  assert.equal(client.code, 0, client.stderr);
  const ended = await served;
  assert.equal(ended.code, 0, ended.stderr);
  return normalise(JSON.parse(client.stdout)) as Record<string, unknown>;
}

for (const version of ['3.11', '3.12', '3.13'] as const) {
  describe(`an unmodified Python ${version} SyncManager client`, () => {
    const python = pythonFor(version);

    it("sees from the TypeScript server exactly what it sees from Python's", async (t) => {
      const [theirs, ours] = await Promise.all([runClient(t, python, 'py'), runClient(t, python, 'ts')]);
      assert.deepEqual(Object.keys(ours), Object.keys(theirs));
      for (const key of Object.keys(theirs)) assert.deepEqual(ours[key], theirs[key], `${key} differs`);
      // Every proxy the client dropped gave its reference back on both servers.
      assert.equal(ours['objects_after'], 0);
      assert.deepEqual(ours['condition'], [['RuntimeError', 'cannot wait on un-acquired lock'], ['RuntimeError', 'cannot notify on un-acquired lock'], false, false, true]);
    });

    it("passes CPython's nested-proxy cases (test_dict_proxy_nested, test_list_proxy_in_list) against both servers", async (t) => {
      for (const server of ['py', 'ts'] as const) {
        const child = server === 'py' ? start(t, python, [pythonScript('sync_server.py'), authkey]) : start(t, process.execPath, [fixture('managers-sync-server.js'), authkey]);
        const served = finish(child, 120_000);
        const port = /^listening 127\.0\.0\.1 (\d+)$/.exec(await firstLine(child, 20_000))?.[1];
        assert.ok(port !== undefined);
        const client = await finish(start(t, python, [pythonScript('sync_nested.py'), port, authkey, 'shutdown']), 120_000);
        assert.equal(client.code, 0, `${server}: ${client.stderr}`);
        assert.equal(client.stdout.trim(), 'ok');
        const ended = await served;
        assert.equal(ended.code, 0, ended.stderr);
      }
    });
  });
}
