// This thread's stored objects: each materialised once (views on its segment, or decoded from it) and kept
// by ref id for later tasks, until its live word says it was released.
import { expected } from '../errors.js';
import { SharedMemoryNotFoundError } from '../shm/errors.js';
import { posixShmDir, resolveDir } from '../shm/location.js';
import { SharedMemory } from '../shm/shared-memory.js';
import { StoreReleasedError } from './errors.js';
import { checkLayout, readValue, readValueAsync, type Layout } from './layout.js';

/** What a ref carries: where the object lies and the word that says whether it is still live. */
export interface RefData {
  /** `<control page>.<slot>.<generation>`: unique for the life of the store. */
  id: string;
  /** The store's control page (a segment of live words) and this object's word in it. */
  control: string;
  slot: number;
  /** The word holds this while the object is live, and 0 once it is released. */
  generation: number;
  /** The object's segment, its size and its folder when not /dev/shm. */
  segment: string;
  size: number;
  dir?: string;
  layout: Layout;
}

interface Attached {
  readonly data: RefData;
  readonly shm: SharedMemory;
  readonly words: Int32Array;
  /** The control page of an object another thread's store put (so sweeps find it); none for owned ones. */
  readonly page?: ControlPage;
  /** Materialised on first use: views on `shm`, or what the codec decoded from it. */
  value?: { readonly v: unknown };
  /** Whether this thread made the object (its store unlinks it); attachers only close their mapping. */
  readonly owned: boolean;
}

/** A control page this thread attached, and the objects of other threads' stores on it this thread holds. */
interface ControlPage {
  readonly words: Int32Array;
  /** The page's release counter when this thread last swept the page. */
  releases: number;
  readonly borrowed: Set<Attached>;
}

const attached = new Map<string, Attached>();
const controlPages = new Map<string, ControlPage>();
let materialisations = 0;

/** A folder a ref names must be this side's own segment folder: data from elsewhere picks no other file. */
function checkedDir(dir: unknown): string | undefined {
  if (dir === undefined) return undefined;
  const own = resolveDir(undefined) ?? posixShmDir;
  if (typeof dir !== 'string' || dir !== own) throw new RangeError(expected('ref.dir', "this process's segment folder ($MULTIPROC_SHM_DIR)", dir));
  return dir;
}

/** Checks a ref's data received from elsewhere. */
export function checkRefData(data: unknown): RefData {
  const fail = (what: string, value: unknown): never => {
    throw new TypeError(expected(`ref.${what}`, 'part of an ObjectRef', value));
  };
  if (typeof data !== 'object' || data === null) fail('data', data);
  const d = data as Record<string, unknown>;
  for (const key of ['id', 'control', 'segment'] as const) if (typeof d[key] !== 'string') fail(key, d[key]);
  for (const key of ['slot', 'generation', 'size'] as const) {
    const n = d[key];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) fail(key, n);
  }
  if ((d['slot'] as number) >= slotsPerPage) fail('slot', d['slot']);
  checkedDir(d['dir']);
  checkLayout(d['layout'], d['size'] as number);
  return d as unknown as RefData;
}

/** Words per control page: one 4 KiB page. */
export const controlWords = 1024;
/**
 * The page's last word counts the releases of its objects (bumped after the object's word went to 0), so a
 * sweep looks at a page's objects only when one of them was released since; the other words are live words.
 */
export const releaseCounter = controlWords - 1;
export const slotsPerPage = releaseCounter;

function controlOf(data: RefData): ControlPage {
  let control = controlPages.get(data.control);
  if (control === undefined) {
    const dir = checkedDir(data.dir);
    let page: SharedMemory;
    try {
      page = SharedMemory.attachShared(data.control, dir === undefined ? {} : { dir });
    } catch (error) {
      // The store was closed: its control pages went with its objects.
      if (error instanceof SharedMemoryNotFoundError) throw new StoreReleasedError(data.id, { cause: error });
      throw error;
    }
    const words = new Int32Array(page.buf, 0, controlWords);
    control = { words, releases: Atomics.load(words, releaseCounter), borrowed: new Set() };
    controlPages.set(data.control, control);
  }
  return control;
}

/** Whether the object is still live (not released), as its word says now. */
export function isLive(data: RefData): boolean {
  const mine = attached.get(data.id);
  try {
    return Atomics.load(mine?.words ?? controlOf(data).words, data.slot) === data.generation;
  } catch (error) {
    if (error instanceof StoreReleasedError) return false;
    throw error;
  }
}

function drop(entry: Attached): void {
  attached.delete(entry.data.id);
  entry.page?.borrowed.delete(entry);
  if (!entry.owned) entry.shm.close();
}

/**
 * Drops every object of another thread's store that was released since (called on each new attach): one
 * look at each page's release counter, and a look at each object only on a page where one was released.
 */
function sweep(): void {
  for (const page of controlPages.values()) {
    if (page.borrowed.size === 0) continue;
    const releases = Atomics.load(page.words, releaseCounter);
    if (releases === page.releases) continue;
    // Read before the words: a release counted after this look is seen by the next sweep.
    page.releases = releases;
    for (const entry of page.borrowed) {
      if (Atomics.load(entry.words, entry.data.slot) !== entry.data.generation) drop(entry);
    }
  }
}

function entryOf(data: RefData): Attached {
  const known = attached.get(data.id);
  if (known !== undefined) {
    if (Atomics.load(known.words, data.slot) === data.generation) return known;
    drop(known);
    throw new StoreReleasedError(data.id);
  }
  sweep();
  const page = controlOf(data);
  const words = page.words;
  if (Atomics.load(words, data.slot) !== data.generation) throw new StoreReleasedError(data.id);
  const dir = checkedDir(data.dir);
  let shm: SharedMemory;
  try {
    shm = SharedMemory.attachShared(data.segment, dir === undefined ? {} : { dir });
  } catch (error) {
    if (error instanceof SharedMemoryNotFoundError) throw new StoreReleasedError(data.id, { cause: error });
    throw error;
  }
  // Released between the two looks: the name may already be a stranger's.
  if (Atomics.load(words, data.slot) !== data.generation || shm.size !== data.size) {
    shm.close();
    throw new StoreReleasedError(data.id);
  }
  const entry: Attached = { data, shm, words, page, owned: false };
  attached.set(data.id, entry);
  page.borrowed.add(entry);
  return entry;
}

/**
 * The object: with `copy`, a private copy; otherwise the one value this thread materialised for the ref
 * (made now on first use). Throws `ERR_MP_STORE_RELEASED` once it was released.
 */
export function valueOf(data: RefData, copy = false): unknown {
  const entry = entryOf(data);
  if (copy) return readValue(entry.shm.buf, data.layout, true);
  if (entry.value === undefined) {
    entry.value = { v: readValue(entry.shm.buf, data.layout, false) };
    materialisations++;
  }
  return entry.value.v;
}

/** `valueOf`, importing the (trusted) modules of classes in an encoded value on first sight. */
export async function valueOfAsync(data: RefData, copy = false): Promise<unknown> {
  const entry = entryOf(data);
  if (copy) return readValueAsync(entry.shm.buf, data.layout, true);
  if (entry.value === undefined) {
    const v = await readValueAsync(entry.shm.buf, data.layout, false);
    // Another get() of the same ref may have finished first: keep one value per thread.
    if (entry.value === undefined) {
      entry.value = { v };
      materialisations++;
    }
  }
  return entry.value.v;
}

/** The mapping of a live object (for `describe`). */
export function bufferOf(data: RefData): SharedArrayBuffer {
  return entryOf(data).shm.buf;
}

/** The store that made an object keeps it here, so refs to it in this thread read the store's own mapping. */
export function adopt(data: RefData, shm: SharedMemory, words: Int32Array): void {
  attached.set(data.id, { data, shm, words, owned: true });
}

/** Forgets an object this thread's store released (the store closes and unlinks its segment). */
export function forget(id: string): void {
  attached.delete(id);
}

/** Drops this thread's materialised copy of an object another thread put (its next use attaches again). */
export function detach(id: string): void {
  const entry = attached.get(id);
  if (entry !== undefined && !entry.owned) drop(entry);
}

/** How many objects this thread holds, and how many times it materialised one (for tests and stats). */
export function attachmentStats(): { objects: number; materialisations: number } {
  return { objects: attached.size, materialisations };
}
