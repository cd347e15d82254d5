// The dashboard's server without a browser: updates pushed over SSE and coalesced however fast the pool
// goes, the token asked for when bound elsewhere and refused without it, the JSON snapshots, the bounds on
// what it keeps, linked processes (MULTIPROC_DASHBOARD as a port two processes share), the errors, and a
// dashboard that never keeps its process alive.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { serveDashboard, type Dashboard } from '../src/dashboard/dashboard.js';
import { defaults } from '../src/dashboard/options.js';
import { DashboardServer } from '../src/dashboard/server.js';
import type { ProcessView } from '../src/dashboard/view.js';
import type { DashboardState, PoolView } from '../src/dashboard/view.js';
import { Pool } from '../src/pool/pool.js';
import { finish, fixture, runNode, startNode, waitUntil } from './helpers/spawn.js';

const tasksUrl = new URL('./fixtures/dashboard-tasks.js', import.meta.url);
type Tasks = typeof import('./fixtures/dashboard-tasks.js');

/** A plain GET: status and body (the token, when given, rides in the query like the page's). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, timeout: 10_000, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}

async function state(dashboard: Dashboard | string): Promise<DashboardState> {
  const base = typeof dashboard === 'string' ? dashboard : dashboard.url;
  const url = new URL('api/state', base);
  url.search = new URL(base).search;
  const { status, body } = await get(url.href);
  assert.equal(status, 200, body);
  return JSON.parse(body) as DashboardState;
}

/** An SSE subscriber that counts the states it receives and keeps the last. */
function subscribe(url: string): { count: () => number; last: () => DashboardState | undefined; ended: () => boolean; close: () => void; opened: Promise<void> } {
  let count = 0;
  let ended = false;
  let last: DashboardState | undefined;
  let pending = '';
  const events = new URL('events', url);
  events.search = new URL(url).search;
  let request: http.ClientRequest | undefined;
  const opened = new Promise<void>((resolve, reject) => {
    request = http.get(events, { agent: false }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`events answered ${response.statusCode}`));
      assert.match(String(response.headers['content-type']), /^text\/event-stream/);
      resolve();
      response.once('end', () => (ended = true));
      response.setEncoding('utf8').on('data', (chunk: string) => {
        pending += chunk;
        let end: number;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const data = /^event: state\ndata: (.*)$/s.exec(block)?.[1];
          if (data !== undefined) {
            count++;
            last = JSON.parse(data) as DashboardState;
          }
        }
      });
    });
    request.on('error', reject);
  });
  return { count: () => count, last: () => last, ended: () => ended, close: () => request?.destroy(), opened };
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the dashboard server', () => {
  it(`pushes states over SSE, at most one per ${defaults.intervalMs} ms however many tasks finish`, async () => {
    const pool = new Pool({ workers: 2 });
    const dashboard = await pool.dashboard();
    const client = subscribe(dashboard.url);
    try {
      await client.opened;
      await waitUntil(() => client.count() >= 1, 10_000, 'the first state');
      const tasks = pool.load<Tasks>(tasksUrl);
      const before = client.count();
      const sentBefore = dashboard.updatesSent;
      const started = performance.now();
      // 3,000 chunks of 40: thousands of channel messages, each of which marks the state dirty.
      const results = await tasks.inc.map(Array.from({ length: 120_000 }, (_, i) => i), { chunksize: 40 });
      // The state after the map's end comes within the interval, and every state sent has arrived.
      const shown = (): PoolView | undefined => client.last()?.processes[0]?.pools.find((view) => view.maps.some((map) => map.name === 'inc'));
      await waitUntil(() => shown()?.maps[0]?.state === 'done' && client.count() - before >= dashboard.updatesSent - sentBefore, 5_000, 'the final state');
      const elapsed = performance.now() - started;
      assert.equal(results[119_999], 120_000);
      const received = client.count() - before;
      assert.ok(received >= 1, 'the map was pushed');
      assert.ok(received <= elapsed / defaults.intervalMs + 3, `${received} states in ${elapsed.toFixed(0)} ms: more than one per ${defaults.intervalMs} ms`);
      assert.ok(received < 3000 / 10, `${received} states for 3,000 chunks`);
      assert.equal(dashboard.updatesSent - sentBefore, received, 'one state per flush, sent to the one page');
      const pool0 = shown();
      assert.equal(pool0?.maps[0]?.done, 120_000);
      assert.equal(pool0?.maps[0]?.state, 'done');
      assert.equal(pool0?.itemsDone, 120_000);
    } finally {
      client.close();
      await pool.terminate();
      await dashboard.close();
    }
  });

  it('sends a state only when it shows something new, to every page, also after a second page came', async () => {
    let view: ProcessView = { id: 'h:1', pid: 1, host: 'h', title: 'one', connected: true, pools: [] };
    let changed: () => void = () => undefined;
    const server = await DashboardServer.start({
      port: 0, host: '127.0.0.1', token: undefined, ref: false, intervalMs: 20, refreshMs: 50,
      local: { process: () => view, insights: () => undefined, onChange: (listener) => ((changed = listener), () => undefined) },
    });
    const first = subscribe(server.url);
    let second: ReturnType<typeof subscribe> | undefined;
    try {
      await first.opened;
      await waitUntil(() => first.count() === 1, 5_000, 'the first state');
      view = { ...view, title: 'two' };
      changed();
      await waitUntil(() => first.last()?.processes[0]?.title === 'two', 5_000, 'the new state');
      const sent = server.updatesSent;
      // Changes that show nothing new, and refreshes of a still state: nothing goes out.
      for (let i = 0; i < 5; i++) changed();
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(first.count(), 2);
      assert.equal(server.updatesSent, sent);
      // A page that comes gets the state at once; the state it was sent still reaches the first page.
      view = { ...view, title: 'three' };
      second = subscribe(server.url);
      await second.opened;
      await waitUntil(() => second?.last()?.processes[0]?.title === 'three', 5_000, 'the second page\'s first state');
      changed();
      await waitUntil(() => first.last()?.processes[0]?.title === 'three', 5_000, 'the first page to get the state the second got');
    } finally {
      first.close();
      second?.close();
      await server.close();
    }
  });

  it('asks for its token when bound elsewhere, refuses requests without it, and serves the script to all', async () => {
    const dashboard = await serveDashboard({ host: '0.0.0.0' });
    try {
      const url = new URL(dashboard.url);
      const token = url.searchParams.get('token');
      assert.match(token ?? '', /^[\w-]{32}$/);
      const bare = `http://127.0.0.1:${url.port}`;
      for (const path of ['/', '/events', '/api/state', '/api/pools/1-1/insights']) {
        assert.equal((await get(`${bare}${path}`)).status, 403, `${path} without the token`);
        assert.equal((await get(`${bare}${path}?token=${token}x`)).status, 403, `${path} with a wrong token`);
      }
      assert.equal((await get(`${bare}/?token=${token}`)).status, 200);
      assert.equal((await get(`${bare}/api/state`, { authorization: `Bearer ${token}` })).status, 200);
      const script = await get(`${bare}/dashboard.js`);
      assert.equal(script.status, 200);
      assert.match(script.body, /new EventSource/);
      assert.equal((await get(`${bare}/nothing-here?token=${token}`)).status, 404);
    } finally {
      await dashboard.close();
    }
    // On loopback no token, but only loopback names: a page that rebinds its own name to 127.0.0.1 is refused.
    const local = await serveDashboard();
    try {
      assert.doesNotMatch(local.url, /token/);
      assert.equal((await get(local.url)).status, 200);
      assert.equal((await get(local.url, { host: 'attacker.example' })).status, 403);
      const page = await get(local.url);
      assert.match(page.body, /<script src="dashboard\.js" defer><\/script>/);
    } finally {
      await local.close();
    }
  });

  it('serves pools created before it, keeps a bounded number of closed ones, and ends its streams on close', async () => {
    const first = new Pool({ workers: 1 });
    const tasks = first.load<Tasks>(tasksUrl);
    assert.equal(await tasks.inc(1), 2);
    const dashboard = await first.dashboard();
    const client = subscribe(dashboard.url);
    try {
      await client.opened;
      const shown = (await state(dashboard)).processes[0]?.pools ?? [];
      const view = shown.find((pool) => pool.state === 'running');
      assert.equal(view?.size, 1, 'a pool created before the dashboard is shown');
      assert.equal(view?.tasksDone, 1);
      assert.equal((await get(new URL(`api/pools/${view?.id}/insights`, dashboard.url).href)).status, 404, 'a pool without insights has no snapshot');
      assert.equal(await first.dashboard(), dashboard, 'one dashboard per process');
      for (let i = 0; i < 12; i++) await new Pool({ workers: 1 }).close();
      await waitUntil(() => (client.last()?.processes[0]?.pools.length ?? 0) > 1, 10_000, 'the closed pools');
      const pools = (await state(dashboard)).processes[0]?.pools ?? [];
      assert.equal(pools.filter((pool) => pool.state === 'closed').length, 8, 'the last 8 closed pools, no more');
      assert.ok(pools.some((pool) => pool.id === view?.id && pool.state === 'running'));
      assert.equal(client.ended(), false);
    } finally {
      await dashboard.close();
      await first.terminate();
    }
    await waitUntil(() => client.ended(), 5_000, 'the stream to end');
    client.close();
    await assert.rejects(get(dashboard.url), { code: 'ECONNREFUSED' });
  });

  it('serves a pool\'s insights() as its JSON snapshot, and shows the memory its workers sample', async () => {
    const pool = new Pool({ workers: 2, insights: true });
    const dashboard = await pool.dashboard();
    try {
      const tasks = pool.load<Tasks>(tasksUrl);
      await tasks.spin.map(Array<number>(20).fill(10), { chunksize: 1 });
      const id = (await state(dashboard)).processes[0]?.pools.find((view) => view.insights !== undefined && view.state === 'running')?.id;
      assert.ok(id !== undefined, 'the pool is shown with its insights');
      let memory: unknown;
      await waitUntil(() => {
        void state(dashboard).then((s) => (memory = s.processes[0]?.pools.find((view) => view.id === id)?.workers.find((worker) => worker.memory !== undefined)?.memory), () => undefined);
        return memory !== undefined;
      }, 15_000, 'a worker\'s memory sample');
      assert.ok((memory as { rss: number; heapUsed: number }).rss > 0 && (memory as { heapUsed: number }).heapUsed > 0);
      await pool.close();
      // Closed, its figures stand still: the endpoint and insights() agree but for the moment each was taken.
      const served = JSON.parse((await get(new URL(`api/pools/${id}/insights`, dashboard.url).href)).body) as Record<string, unknown>;
      const own = JSON.parse(JSON.stringify(pool.insights())) as Record<string, unknown>;
      assert.equal(typeof served['at'], 'number');
      delete served['at'];
      delete own['at'];
      assert.deepEqual(served, own);
      assert.equal((own as { tasksCompleted: number }).tasksCompleted, 20);
    } finally {
      await pool.terminate();
      await dashboard.close();
    }
  });

  it('refuses what it cannot do with its own error codes and argument errors', async () => {
    const pool = new Pool({ workers: 1 });
    const taken = await serveDashboard();
    try {
      const port = Number(new URL(taken.url).port);
      await assert.rejects(serveDashboard({ port }), { code: 'ERR_MP_DASHBOARD_LISTEN' });
      await assert.rejects(pool.dashboard({ connect: `http://127.0.0.1:${await freePort()}/` }), { code: 'ERR_MP_DASHBOARD_LINK' });
      await assert.rejects(pool.dashboard({ connect: 'https://127.0.0.1:1/' }), { code: 'ERR_MP_DASHBOARD_LINK' });
      await assert.rejects(pool.dashboard({ port: -1 }), RangeError);
      await assert.rejects(pool.dashboard({ port: '8080' as unknown as number }), TypeError);
      await assert.rejects(pool.dashboard({ connect: 42 as unknown as string }), TypeError);
      const guarded = await serveDashboard({ host: '0.0.0.0' });
      try {
        const bad = new URL(guarded.url);
        bad.hostname = '127.0.0.1';
        bad.searchParams.set('token', 'not-the-token');
        await assert.rejects(pool.dashboard({ connect: bad }), { code: 'ERR_MP_DASHBOARD_LINK' });
      } finally {
        await guarded.close();
      }
      // A linked process that sends something other than states is cut off, and nothing of it is shown.
      const refused = await new Promise<string>((resolve, reject) => {
        const request = http.request(new URL('ingest', taken.url), { method: 'POST', agent: false }, (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve(body)).on('error', () => resolve(body));
        });
        request.on('error', reject);
        request.end('{"v":1,"process":{"id":"x"}}\n');
      });
      assert.match(refused, /refused/);
      assert.deepEqual((await state(taken)).processes, []);
    } finally {
      await taken.close();
      await pool.terminate();
    }
  });

  it('puts two processes given one MULTIPROC_DASHBOARD port on one page: the first serves, the second links', async () => {
    const port = await freePort();
    const env = { ...process.env, MULTIPROC_DASHBOARD: String(port) };
    const serving = startNode(fixture('dashboard-linked-main.js'), [], env);
    let linked: ReturnType<typeof startNode> | undefined;
    const url = `http://127.0.0.1:${port}/`;
    try {
      const announced = new Promise<string>((resolve) => {
        let text = '';
        serving.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
          if (text.includes('\n')) resolve(text);
        });
      });
      assert.match(await announced, new RegExp(`^multiproc: dashboard at http://127\\.0\\.0\\.1:${port}/\\n`));
      linked = startNode(fixture('dashboard-linked-main.js'), [], env);
      const pid = linked.pid;
      let shown: DashboardState | undefined;
      await waitUntil(() => {
        void state(url).then((s) => (shown = s), () => undefined);
        return (shown?.processes.length ?? 0) === 2 && shown?.processes.every((p) => p.pools.some((pool) => pool.maps.length > 0)) === true;
      }, 30_000, 'both processes with their maps');
      assert.deepEqual(shown?.processes.map((p) => [p.pid, p.connected]), [[serving.pid, true], [pid, true]]);
      linked.stdin?.end('stop\n');
      assert.equal((await finish(linked, 30_000)).code, 0);
      linked = undefined;
      await waitUntil(() => {
        void state(url).then((s) => (shown = s), () => undefined);
        return shown?.processes[1]?.connected === false;
      }, 15_000, 'the linked process shown as gone');
      serving.stdin?.end('stop\n');
      const result = await finish(serving, 30_000);
      assert.equal(result.code, 0, result.stderr);
    } finally {
      linked?.kill('SIGKILL');
      serving.kill('SIGKILL');
    }
  });

  it('MULTIPROC_DASHBOARD turns insights on for the pools it shows, unless a pool says `insights: false`', async () => {
    const main = fixture('dashboard-env-insights-main.js');
    const without = await finish(startNode(main, [], { ...process.env, MULTIPROC_DASHBOARD: '' }), 30_000);
    assert.equal(without.code, 0, without.stderr);
    assert.deepEqual(JSON.parse(without.stdout), { default: 'ERR_MP_INSIGHTS_DISABLED', off: 'ERR_MP_INSIGHTS_DISABLED' });
    const withIt = await finish(startNode(main, [], { ...process.env, MULTIPROC_DASHBOARD: String(await freePort()) }), 30_000);
    assert.equal(withIt.code, 0, withIt.stderr);
    assert.deepEqual(JSON.parse(withIt.stdout), { default: 1, off: 'ERR_MP_INSIGHTS_DISABLED' });
  });

  it('never keeps its process alive: a program that closes its pool ends with its dashboard open', async () => {
    const result = await runNode(fixture('dashboard-exit-main.js'), [], 30_000);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^http:\/\/127\.0\.0\.1:\d+\/\ndone\n$/);
  });

  it('`multiproc dashboard` refuses arguments it does not know', async () => {
    const cli = fixture('../../pkg/main.js');
    for (const args of [['--port', 'abc'], ['--bogus', '1'], ['--port']]) {
      const result = await runNode(cli, ['dashboard', ...args], 15_000);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stdout, /usage: multiproc dashboard/);
    }
  });
});
