// The raw worker_threads floor: one message in, one message out, no pool machinery.
import { parentPort } from 'node:worker_threads';
import * as tasks from './tasks.js';

const table = tasks as unknown as Record<string, (arg: unknown) => unknown>;
parentPort!.on('message', (message: { id: number; name: string; arg: unknown }) => {
  parentPort!.postMessage({ id: message.id, value: table[message.name]!(message.arg) });
});
