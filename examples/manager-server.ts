// The seed's server in TypeScript: a task queue and a result queue on a manager at ('127.0.0.1', port) with
// authkey b'z'. Python clients (multiprocessing.managers.BaseManager.connect) and TypeScript ones use it alike.
// Run: node dist/examples/manager-server.js [port]   (0 picks one; prints "listening HOST PORT")
import { BaseManager, ManagedQueue } from 'multiproc';

const taskQueue = new ManagedQueue<number | null>();
const resultQueue = new ManagedQueue<[number, number]>();

const manager = new BaseManager({ address: ['127.0.0.1', Number(process.argv[2] ?? 0)], authkey: new TextEncoder().encode('z') });
manager.register('get_task_queue', { callable: () => taskQueue });
manager.register('get_result_queue', { callable: () => resultQueue });

const server = await manager.getServer();
const [host, port] = server.address as readonly [string, number];
console.log('listening', host, port);
// Until a client sends 'shutdown' (the master does, once it has every result).
await server.serveForever();
