// Starting sync-agent scenarios in child processes and worker threads, each with a time limit.
import type { ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { encode, packetToBytes } from '../../src/serialize/index.js';
import { finish, fixture, startNode } from './spawn.js';

const agent = fixture('sync-agent.js');

/** Shared handles in the payload travel by reference through the codec. */
export function encodePayload(payload: Record<string, unknown>): string {
  return Buffer.from(packetToBytes(encode(payload))).toString('base64');
}

/** Runs a scenario in a child process and resolves its JSON lines. */
export async function inProcess(scenario: string, payload: Record<string, unknown>, timeout = 60_000): Promise<unknown[]> {
  const result = await finish(startNode(agent, [scenario, encodePayload(payload)]), timeout);
  if (result.code !== 0) throw new Error(`agent ${scenario} exited ${String(result.code ?? result.signal)}: ${result.stderr}`);
  return result.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown);
}

export function startProcess(scenario: string, payload: Record<string, unknown>): ChildProcess {
  return startNode(agent, [scenario, encodePayload(payload)]);
}

export function startThread(scenario: string, payload: Record<string, unknown>): Worker {
  return new Worker(agent, { workerData: { scenario, payload: encodePayload(payload) } });
}

/** Runs a scenario in a worker thread and resolves the messages it posted before exiting. */
export function inThread(scenario: string, payload: Record<string, unknown>, timeout = 60_000): Promise<unknown[]> {
  const worker = startThread(scenario, payload);
  const messages: unknown[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`thread ${scenario} timed out after ${timeout} ms`));
    }, timeout);
    worker.on('message', (message) => messages.push(message));
    worker.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    worker.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(messages);
      else reject(new Error(`thread ${scenario} exited ${code}`));
    });
  });
}

/** The next message a worker posts, or a rejection after `timeout` ms. */
export function nextMessage(worker: Worker, timeout = 15_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message within ${timeout} ms`)), timeout);
    worker.once('message', (message) => {
      clearTimeout(timer);
      resolve(message);
    });
  });
}
