// The seed's client (a worker) in TypeScript: takes numbers from the manager's task queue until it gets null
// (Python's None), puts [n, n * n] on the result queue, then null there to say it has finished. The server may
// be Python's or manager-server.ts. Its calls block, as a Python client's do (`proxy.blocking`).
// Run: node dist/examples/manager-client.js PORT
import { BaseManager, type AutoProxy, type QueueProxy } from 'multiproc';

// As Python's QueueManager.register('get_task_queue'): each typeid becomes a (typed) method of the manager.
const manager = new BaseManager({ address: ['127.0.0.1', Number(process.argv[2])], authkey: new TextEncoder().encode('z') })
  .register<'get_task_queue', AutoProxy<QueueProxy<number | null>>>('get_task_queue')
  .register<'get_result_queue', AutoProxy<QueueProxy<readonly [number, number] | null>>>('get_result_queue');
await manager.connect();
await using tasks = await manager.get_task_queue();
await using results = await manager.get_result_queue();
const [take, give] = [tasks.blocking, results.blocking];
let done = 0;
for (;;) {
  const n = take.get(true, 30);
  if (n === null) {
    give.put(null);
    break;
  }
  give.put([n, n * n]);
  done++;
}
console.log('client done', done);
manager.close();
