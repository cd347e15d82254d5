// ManagerServer and BaseManager against each other in TypeScript: the protocol's functions, reference counts,
// keyword arguments, #PROXY, the fallbacks, the errors, and what must not happen (a global off the allow-list runs nothing).
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import {
  BaseManager,
  BaseProxy,
  Client,
  dumps,
  loads,
  ManagedQueue,
  ManagerServer,
  ProxyRef,
  PythonError,
  Token,
  tuple,
  type AutoProxy,
  type QueueProxy,
} from '../src/index.js';
import { rejectsWithCode } from './helpers/codes.js';

const authkey = new TextEncoder().encode('z');
const hex = (text: string): Uint8Array => Uint8Array.from(text.split(' ').map((byte) => parseInt(byte, 16)));

class Child {
  readonly items: number[];
  constructor(items: number[]) {
    this.items = items;
  }
  count(value: number): number {
    return this.items.filter((item) => item === value).length;
  }
  append(value: number): void {
    this.items.push(value);
  }
}

class Parent {
  readonly child = new Child([1, 2, 1]);
  get_child(): Child {
    return this.child;
  }
  total(): number {
    return this.child.items.reduce((a, b) => a + b, 0);
  }
  _hidden(): string {
    return 'never called';
  }
}

async function serving(t: TestContext, queue = new ManagedQueue()): Promise<{ server: ManagerServer; manager: BaseManager; done: Promise<void> }> {
  const serverSide = new BaseManager({ authkey })
    .register('get_task_queue', { callable: () => queue })
    .register('Queue', { callable: (maxsize?: number) => new ManagedQueue(maxsize ?? 0) })
    .register('Parent', { callable: () => new Parent(), methodToTypeid: { get_child: 'Child' } })
    .register('Child', {});
  const server = await serverSide.getServer();
  const done = server.serveForever();
  // A failed assertion must not leave the server (and the test process) running.
  t.after(() => server.close());
  return { server, manager: new BaseManager({ address: server.address, authkey }), done };
}

describe('managers: Token and pickled proxies', () => {
  it("pickles a Token to the bytes Python writes, and reads Python's", () => {
    const python = hex(
      '80 04 95 6a 00 00 00 00 00 00 00 8c 18 6d 75 6c 74 69 70 72 6f 63 65 73 73 69 6e 67 2e 6d 61 6e 61 67 65 72 73 94 8c 05 54 6f 6b 65 6e 94 93 94 29 81 94 8c 05 67 65 74 5f 71 94 8c 24 2f 74 6d 70 2f 70 79 6d 70 2d 35 38 5f 79 31 67 62 73 2f 6c 69 73 74 65 6e 65 72 2d 67 74 75 6b 6f 65 75 78 94 8c 0c 37 66 62 61 34 39 65 65 62 62 31 30 94 87 94 62 2e',
    );
    const token = loads(python) as Token;
    assert.ok(token instanceof Token);
    assert.deepEqual([token.typeid, token.address, token.id], ['get_q', '/tmp/pymp-58_y1gbs/listener-gtukoeux', '7fba49eebb10']);
    assert.deepEqual(dumps(token), python);
    const tcp = loads(dumps(new Token('Child', ['127.0.0.1', 46743], '1002'))) as Token;
    assert.deepEqual(tcp.address, ['127.0.0.1', 46743]);
  });

  it('reads RebuildProxy(AutoProxy, ...) as a ProxyRef and writes it back the same', () => {
    const ref = new ProxyRef(new Token('Q', ['127.0.0.1', 5000], 'abc'), ['get', 'put']);
    const again = loads(dumps(ref)) as ProxyRef;
    assert.ok(again instanceof ProxyRef);
    assert.deepEqual([again.token.id, again.exposed, again.serializer], ['abc', ['get', 'put'], 'pickle']);
    assert.deepEqual(dumps(again), dumps(ref));
  });

  it('refuses RebuildProxy with a callable that is none of the proxy types', () => {
    // RebuildProxy(Token, token, 'pickle', {}): a registered class, but no proxy type.
    const text = Buffer.from("cmultiprocessing.managers\nRebuildProxy\n(cmultiprocessing.managers\nToken\ncmultiprocessing.managers\nToken\n)\x81(S'Q'\nS'/p'\nS'1'\ntbS'pickle'\n}tR.", 'latin1');
    assert.throws(() => loads(text), (error: { code?: string }) => error.code === 'ERR_MP_MANAGER_PROTOCOL');
  });
});

describe('managers: a TypeScript server and client', () => {
  it('creates, calls, counts references and frees the object on the last release', async (t) => {
    const { server, manager, done } = await serving(t);
    await manager.connect();
    const q = await manager.create<QueueProxy>('Queue', 2);
    assert.deepEqual([...q.exposed], ['empty', 'full', 'get', 'get_nowait', 'join', 'put', 'put_nowait', 'qsize', 'task_done']);
    assert.equal(await manager.numberOfObjects(), 1);
    await q.put('x');
    await q.put(new Map([['k', tuple(1.5, null)]]));
    assert.equal(await q.full(), true);
    await rejectsWithCode(q.callMethod('put', ['y'], { block: false }), 'ERR_MP_PYTHON_EXCEPTION');
    assert.equal(await q.get(), 'x');
    assert.deepEqual(await q.get(), new Map([['k', tuple(1.5, null)]]));
    await assert.rejects(q.get_nowait(), (error: PythonError) => error instanceof PythonError && error.pythonModule === '_queue' && error.pythonClass === 'Empty');
    await assert.rejects(q.callMethod('get', [], { timeout: 0.05 }), (error: PythonError) => error.pythonClass === 'Empty');
    assert.match(await manager.debugInfo(), /refcount=1\n {4}<ManagedQueue object/);
    await q.release();
    await q.release();
    assert.equal(await manager.numberOfObjects(), 0);
    await rejectsWithCode(q.qsize(), 'ERR_MP_PROXY_RELEASED');
    await manager.shutdown();
    await done;
    assert.equal(server.closed, true);
  });

  it('answers #PROXY for a methodToTypeid method, hides _names and refuses what is not exposed', async (t) => {
    const { manager, done } = await serving(t);
    const parent = await manager.create('Parent');
    assert.deepEqual([...parent.exposed], ['get_child', 'total']);
    const child = (await parent.callMethod('get_child')) as Awaited<ReturnType<typeof manager.create>>;
    assert.equal(child.token.typeid, 'Child');
    assert.deepEqual(child.token.address, manager.address);
    assert.equal(await child.callMethod('count', [1]), 2);
    await child.callMethod('append', [1]);
    assert.equal(await parent.callMethod('total'), 5);
    await rejectsWithCode(parent.callMethod('_hidden'), 'ERR_MP_MANAGER_REMOTE');
    assert.match(String(await parent.callMethod('__repr__')), /Parent object/);
    assert.equal(await manager.numberOfObjects(), 2);
    await child.release();
    await parent.release();
    assert.equal(await manager.numberOfObjects(), 0);
    await manager.shutdown();
    await done;
  });

  it("gives each registered typeid a typed method (Python's create_method) and makes its proxytype's proxies", async (t) => {
    class ChildProxy extends BaseProxy {
      count(value: number): Promise<number> {
        return this.callMethod('count', [value]) as Promise<number>;
      }
    }
    const { manager: plain, done } = await serving(t);
    const manager = plain
      .register<'get_task_queue', AutoProxy<QueueProxy<string>>>('get_task_queue')
      .register('Parent')
      .register('Child', { proxytype: ChildProxy })
      .register('Queue', { createMethod: false })
      .register('connect');
    const q = await manager.get_task_queue();
    await q.put('typed');
    assert.equal(await q.get(), 'typed');
    assert.equal(Object.hasOwn(manager, 'Queue'), false, 'createMethod: false makes no method');
    // A name the manager has is its own method still.
    assert.equal(await manager.connect(), manager);
    const parent = await manager.Parent();
    const child = await parent.callMethod('get_child');
    assert.ok(child instanceof ChildProxy, 'a #PROXY reply is made with its typeid\'s proxytype');
    assert.equal(await child.count(1), 2);
    assert.throws(() => manager.register('Bad', { proxytype: class NotAProxy {} as never }), TypeError);
    assert.throws(() => manager.register('Bad', { createMethod: 'yes' as never }), TypeError);
    for (const proxy of [q, parent, child]) await proxy.release();
    await manager.shutdown();
    await done;
  });

  it('sends #UNSERIALIZABLE for a result with no pickle form, and #TRACEBACK for an unknown typeid or keyword', async (t) => {
    const { manager, done } = await serving(t);
    const q = await manager.create('get_task_queue');
    await rejectsWithCode(q.callMethod('#GETVALUE'), 'ERR_MP_MANAGER_UNSERIALIZABLE');
    await rejectsWithCode(manager.create('NoSuchType'), 'ERR_MP_MANAGER_REMOTE');
    await assert.rejects(q.callMethod('put', [1], { nosuch: 2 }), (error: PythonError) => error.pythonClass === 'TypeError');
    assert.equal(await q.callMethod('qsize'), 0);
    await manager.shutdown();
    await done;
  });

  it('gives up a blocked get when its client goes away, so the next item reaches a client that is there', async (t) => {
    const shared = new ManagedQueue();
    const { manager, done } = await serving(t, shared);
    const leaving = new BaseManager({ address: manager.address, authkey });
    const lq = await leaving.create<QueueProxy>('get_task_queue');
    const blocked = lq.get();
    await new Promise((resolve) => setTimeout(resolve, 100));
    leaving.close();
    await rejectsWithCode(blocked, 'ERR_MP_CONNECTION_CLOSED');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const q = await manager.create<QueueProxy>('get_task_queue');
    await q.put('only');
    assert.equal(await q.get(true, 5), 'only');
    await manager.shutdown();
    await done;
  });

  it('answers a request naming os.system with #ERROR and a code, runs nothing and keeps serving', async (t) => {
    const { manager, done } = await serving(t);
    let ran = false;
    const globalThisRecord = globalThis as Record<string, unknown>;
    globalThisRecord['system'] = () => (ran = true);
    const connection = await Client(manager.address, { authkey });
    await connection.sendBytes(new TextEncoder().encode("cos\nsystem\n(S'echo pwned'\ntR."));
    const [kind, error] = await connection.recv<[string, PythonError]>();
    connection.close();
    delete globalThisRecord['system'];
    assert.equal(kind, '#ERROR');
    assert.equal(error.pythonClass, 'UnpicklingError');
    assert.match(String(error.pythonArgs[0]), /^ERR_MP_PICKLE_GLOBAL: the global os\.system/);
    assert.equal(ran, false);
    assert.equal(await manager.numberOfObjects(), 0);
    await manager.shutdown();
    await done;
  });

  it('answers bytes that are no pickle, and a request of the wrong shape, with #ERROR, and goes on serving the channel', async (t) => {
    const { manager, done } = await serving(t);
    const q = await manager.create<QueueProxy>('get_task_queue');
    const connection = await Client(manager.address, { authkey });
    await connection.send(tuple(null, 'accept_connection', tuple('probe'), new Map()));
    assert.deepEqual(await connection.recv(), tuple('#RETURN', null));
    await connection.sendBytes(Uint8Array.of(0xff, 0x00, 0x2e));
    const [kind, error] = await connection.recv<[string, PythonError]>();
    assert.equal(kind, '#ERROR');
    assert.match(String(error.pythonArgs[0]), /^ERR_MP_PICKLE_OPCODE: /);
    await connection.send(tuple(q.token.id, 'put'));
    const [shapeKind, shapeError] = await connection.recv<[string, PythonError]>();
    assert.deepEqual([shapeKind, shapeError.pythonClass], ['#ERROR', 'ValueError']);
    await connection.send(tuple(q.token.id, 'put', tuple('still served'), new Map()));
    assert.deepEqual(await connection.recv(), tuple('#RETURN', null));
    connection.close();
    assert.equal(await q.get(true, 5), 'still served');
    await manager.shutdown();
    await done;
  });

  it('runs two calls at once on separate channels: a blocked get does not hold up the put that ends it', async (t) => {
    const { manager, done } = await serving(t);
    const q = await manager.create<QueueProxy>('get_task_queue');
    const waiting = q.get(true, 10);
    await q.put('wake');
    assert.equal(await waiting, 'wake');
    await manager.shutdown();
    await done;
  });

  it('joins once every item is marked done, and refuses one task_done too many', async (t) => {
    const { manager, done } = await serving(t);
    const q = await manager.create<QueueProxy>('get_task_queue');
    await q.put(1);
    let joined = false;
    const join = q.join().then(() => (joined = true));
    await q.get();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(joined, false);
    await q.task_done();
    await join;
    assert.equal(joined, true);
    await assert.rejects(q.task_done(), (error: PythonError) => error.pythonClass === 'ValueError');
    await manager.shutdown();
    await done;
  });

  it("serves with loadOptions { dict: 'object' }: keywords still reach their parameters", async (t) => {
    const queue = new ManagedQueue();
    const server = await new BaseManager({ authkey, loadOptions: { dict: 'object' } }).register('q', { callable: () => queue }).getServer();
    t.after(() => server.close());
    const done = server.serveForever();
    const manager = new BaseManager({ address: server.address, authkey, loadOptions: { dict: 'object' } });
    const q = await manager.create<QueueProxy>('q');
    await q.callMethod('put', [{ a: 1 }], { block: false });
    assert.deepEqual(await q.callMethod('get', [], { timeout: 1 }), { a: 1 });
    await manager.shutdown();
    await done;
  });

  it('refuses a wrong key before reading any request', async (t) => {
    const { manager, done } = await serving(t);
    await rejectsWithCode(new BaseManager({ address: manager.address, authkey: new TextEncoder().encode('wrong') }).connect(), 'ERR_MP_AUTHENTICATION');
    await manager.connect();
    await manager.shutdown();
    await done;
  });

  it('checks its arguments', async (t) => {
    assert.throws(() => new BaseManager({ authkey: 'z' as unknown as Uint8Array }), TypeError);
    assert.throws(() => new BaseManager({ authkey }).register('', {}), TypeError);
    assert.throws(() => new BaseManager({ authkey }).register('x', { callable: 1 as unknown as () => unknown }), TypeError);
    const { manager, done } = await serving(t);
    const q = await manager.create('get_task_queue');
    await assert.rejects(q.callMethod(1 as unknown as string), TypeError);
    await manager.shutdown();
    await done;
  });
});
