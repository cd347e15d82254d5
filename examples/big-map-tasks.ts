// The tasks of examples/big-map.ts: look a few keys up in a big read-only Map.
import { currentWorker } from 'multiproc';

/** Every distinct Map this worker was given: one, however many tasks it ran. */
const seen = new Set<object>();

/** The total price of the items `ids` names, from the shared price list. */
export function basketTotal(prices: Map<string, number>, ids: string[]): { total: number; worker: string; maps: number } {
  seen.add(prices);
  let total = 0;
  for (const id of ids) total += prices.get(id) ?? 0;
  const info = currentWorker();
  return { total, worker: `${info?.pid ?? process.pid}:${info?.threadId ?? 0}`, maps: seen.size };
}
