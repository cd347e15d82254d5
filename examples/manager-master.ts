// The seed's master in TypeScript: puts COUNT numbers and one null per client on the task queue, takes results
// until every client has said it finished (a null each), prints them sorted as JSON, then shuts the server down.
// Run: node dist/examples/manager-master.js PORT [COUNT] [CLIENTS]
import { BaseManager, type AutoProxy, type QueueProxy } from 'multiproc';

const [port, count = 20, clients = 1] = process.argv.slice(2).map(Number) as [number, number?, number?];
// As Python's QueueManager.register('get_task_queue'): each typeid becomes a (typed) method of the manager.
const manager = new BaseManager({ address: ['127.0.0.1', port], authkey: new TextEncoder().encode('z') })
  .register<'get_task_queue', AutoProxy<QueueProxy<number | null>>>('get_task_queue')
  .register<'get_result_queue', AutoProxy<QueueProxy<readonly [number, number] | null>>>('get_result_queue');
await manager.connect();
const tasks = await manager.get_task_queue();
const results = await manager.get_result_queue();
for (let n = 0; n < count; n++) await tasks.put(n);
for (let i = 0; i < clients; i++) await tasks.put(null);
const got: (readonly [number, number])[] = [];
for (let finished = 0; finished < clients; ) {
  const result = await results.get(true, 30);
  if (result === null) finished++;
  else got.push(result);
}
got.sort((a, b) => a[0] - b[0]);
console.log(JSON.stringify(got.map((pair) => [...pair])));
await tasks.release();
await results.release();
await manager.shutdown();
