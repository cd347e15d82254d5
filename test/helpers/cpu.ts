// The CPU a process spends while it only waits: what a spin before the event loop sleeps costs.
import { touchLoopSpin } from '../../src/native/loop-spin.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The CPU this process used over `ms` of waiting, with a timer every 10 ms that touches the spin when `touching`. */
export async function cpuMsDuring(ms: number, touching = true): Promise<number> {
  const before = process.cpuUsage();
  const ticker = setInterval(() => touching && touchLoopSpin(), 10);
  await sleep(ms);
  clearInterval(ticker);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}
