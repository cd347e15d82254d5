// A map-like call on the diagnostics channels: started, progress as chunks complete, finished.
import { channels, type MapKind } from '../observe/channels.js';
import type { TaskRef } from './task-ref.js';

const { mapStarted, mapProgress, mapFinished } = channels;

export class MapReport {
  readonly #poolId: number;
  readonly #mapId: number;
  readonly #kind: MapKind;
  readonly #total: number | undefined;
  readonly #started = performance.now();
  #done = 0;
  #finished = false;

  constructor(poolId: number, mapId: number, kind: MapKind, fn: TaskRef, total: number | undefined) {
    this.#poolId = poolId;
    this.#mapId = mapId;
    this.#kind = kind;
    this.#total = total;
    if (mapStarted.hasSubscribers) mapStarted.publish({ poolId, mapId, kind, name: fn.name, url: fn.url, total, at: Date.now() });
  }

  add(items: number): void {
    this.#done += items;
    if (!mapProgress.hasSubscribers || this.#finished) return;
    mapProgress.publish({
      poolId: this.#poolId, mapId: this.#mapId, done: this.#done, total: this.#total, elapsedMs: performance.now() - this.#started, at: Date.now(),
    });
  }

  /** Once: `error` is why the call failed (undefined: it completed, or its caller stopped iterating). */
  finish(error: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    if (!mapFinished.hasSubscribers) return;
    mapFinished.publish({
      poolId: this.#poolId, mapId: this.#mapId, kind: this.#kind, done: this.#done, total: this.#total, elapsedMs: performance.now() - this.#started,
      error, at: Date.now(),
    });
  }
}

/** A report for a map-like call, or undefined when nobody listens to map messages (then nothing is built per call). */
export function mapReport(poolId: number, mapId: number, kind: MapKind, fn: TaskRef, total: number | undefined): MapReport | undefined {
  if (!mapStarted.hasSubscribers && !mapProgress.hasSubscribers && !mapFinished.hasSubscribers) return undefined;
  return new MapReport(poolId, mapId, kind, fn, total);
}
