// A shared-memory segment that multiproc lays out itself: a header (magic, version, kind, ready flag set
// last) so an attacher never sees a half-built primitive, then the primitive's words.
import { SharedMemory } from '../shm/shared-memory.js';
import { posixShmDir, resolveDir } from '../shm/location.js';
import { SharedMemoryError } from '../shm/errors.js';
import { SyncSegmentError } from './errors.js';

const magic = 0x4d505359; // 'MPSY'
// 2: the queue ring (64-bit published counts, pid locks) and the Condition (three words) changed.
const version = 2;
const enum Header { Magic, Version, Kind, Ready }
/** Where a primitive's own words start: one cache line after the header. */
export const bodyOffset = 64;

export const Kind = {
  Lock: 1, RLock: 2, Semaphore: 3, Event: 4, Condition: 5, Barrier: 6, Value: 7, Array: 8, Queue: 9, Pipe: 10,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

const kindNames = new Map<number, string>(Object.entries(Kind).map(([name, code]) => [code, name]));

/** What a reference to anything living in a region carries. */
export interface RegionRef {
  name: string;
  /** Only when the segment is not in /dev/shm. */
  dir?: string;
}

/** Regions whose reference was taken while `holdingRegions` ran (undefined outside it). */
let collecting: Set<Region> | undefined;

export class Region {
  readonly shm: SharedMemory;
  readonly i32: Int32Array;
  readonly kind: Kind;
  #disposed = false;
  #holds = 0;

  private constructor(shm: SharedMemory, kind: Kind) {
    this.shm = shm;
    this.kind = kind;
    this.i32 = new Int32Array(shm.buf, 0, Math.floor(shm.size / 4));
  }

  /** Creates a zeroed segment of `bodyBytes` after the header; `init` lays out the body before it is marked ready. */
  static create(kind: Kind, bodyBytes: number, init?: (region: Region) => void): Region {
    const region = new Region(SharedMemory.create(bodyOffset + Math.ceil(bodyBytes / 8) * 8), kind);
    const { i32 } = region;
    i32[Header.Magic] = magic;
    i32[Header.Version] = version;
    i32[Header.Kind] = kind;
    init?.(region);
    Atomics.store(i32, Header.Ready, 1);
    return region;
  }

  static attach(ref: RegionRef, kind: Kind): Region {
    if (typeof ref !== 'object' || ref === null || typeof ref.name !== 'string') {
      throw new SyncSegmentError(`not a reference to a multiproc ${kindNames.get(kind) ?? 'primitive'}: ${JSON.stringify(ref)}`);
    }
    // A reference from elsewhere must not make this side map an arbitrary file: besides /dev/shm, only
    // this process's own segment folder ($MULTIPROC_SHM_DIR) is accepted, as for SharedMemory handles.
    if (ref.dir !== undefined && (typeof ref.dir !== 'string' || ref.dir !== resolveDir(undefined))) {
      throw new SyncSegmentError(`segment '${ref.name}' lives in ${String(ref.dir)}, which is not this process's segment folder`);
    }
    let shm: SharedMemory;
    try {
      shm = ref.dir === undefined ? SharedMemory.attach(ref.name) : SharedMemory.attach(ref.name, { dir: ref.dir });
    } catch (error) {
      const gone = error instanceof SharedMemoryError && error.code === 'ERR_MP_SHM_NOT_FOUND';
      throw new SyncSegmentError(gone
        ? `the ${kindNames.get(kind) ?? 'primitive'} in segment '${ref.name}' no longer exists (its creator disposed of it or exited)`
        : `cannot attach to segment '${ref.name}'`, { cause: error });
    }
    const fail = (why: string): never => {
      shm.close();
      throw new SyncSegmentError(`segment '${ref.name}' ${why}`);
    };
    if (shm.size < bodyOffset) fail('is too small to hold a multiproc primitive');
    const i32 = new Int32Array(shm.buf, 0, 4);
    if (i32[Header.Magic] !== magic) fail('was not laid out by multiproc');
    if (i32[Header.Version] !== version) fail(`has layout version ${i32[Header.Version]}, this multiproc reads ${version}`);
    if (i32[Header.Kind] !== kind) fail(`holds a ${kindNames.get(i32[Header.Kind] ?? 0) ?? 'unknown kind'}, not a ${kindNames.get(kind)}`);
    if (Atomics.load(i32, Header.Ready) !== 1) fail('is not initialised yet');
    return new Region(shm, kind);
  }

  get ref(): RegionRef {
    collecting?.add(this);
    return this.shm.dir === posixShmDir ? { name: this.shm.name } : { name: this.shm.name, dir: this.shm.dir };
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Releases this mapping; the creator also removes the name, so no new process can attach. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#holds === 0) this.#release();
  }

  /**
   * Runs `take` (an encode) and holds every region whose reference it took: until `release()`, disposing
   * of such a region's creating handle keeps its name (a receiver can still attach) and only marks the
   * handle closed; the last release removes the name and unmaps. A pool call holds what its arguments
   * reference until it settles, so the caller may close its own handles as soon as the call is made.
   */
  static holding<T>(take: () => T): { value: T; release: () => void } {
    const outer = collecting;
    const taken = new Set<Region>();
    collecting = taken;
    try {
      const value = take();
      const releases = [...taken].map((region) => region.#hold());
      return { value, release: () => releases.forEach((release) => release()) };
    } finally {
      collecting = outer;
      for (const region of taken) outer?.add(region);
    }
  }

  #hold(): () => void {
    this.#holds++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (--this.#holds === 0 && this.#disposed) this.#release();
    };
  }

  #release(): void {
    if (this.shm.created) {
      try {
        this.shm.unlink();
      } catch {
        // already unlinked by hand: nothing left to remove
      }
    }
    this.shm.close();
  }
}
