// Python's SharedMemoryManager example: the manager makes ShareableList(range(2000)), two Processes each sum
// one half of it and store their partial sums in a second list, and the parent adds them up. Leaving the
// manager's block shuts it down, which closes and unlinks every segment it made: the parent then checks
// that no segment of the run is left.
// Run: node dist/examples/shareable-list-sum.js
import { parentProcess, Process, SharedMemory, SharedMemoryManager, SharedMemoryNotFoundError, taskRef, type ShareableList } from 'multiproc';

/** Process target: sum `numbers[start..end)` and store it in `partials[slot]`. */
export function sumRange(numbers: ShareableList<number>, start: number, end: number, partials: ShareableList<number>, slot: number): void {
  let sum = 0;
  for (let i = start; i < end; i++) sum += numbers[i]!;
  partials[slot] = sum; // each Process writes its own slot: no lock needed
}

/** Whether a segment of that name still exists (attaching is the portable way to ask). */
function segmentExists(name: string): boolean {
  try {
    SharedMemory.attach(name).close();
    return true;
  } catch (error) {
    if (error instanceof SharedMemoryNotFoundError) return false;
    throw error;
  }
}

// The main guard: each child imports this module to find its target, and must not start children itself.
if (!parentProcess()) {
  const n = 2000;
  let segments: string[];
  let halves: number[];
  {
    using smm = new SharedMemoryManager().start(); // Python: with SharedMemoryManager() as smm:
    const numbers = smm.shareableList<number>(Array.from({ length: n }, (_, i) => i)); // ShareableList(range(2000))
    const partials = smm.shareableList<number>([0, 0]);
    const children = [
      new Process({ target: taskRef(import.meta.url, 'sumRange'), args: [numbers, 0, n / 2, partials, 0] }),
      new Process({ target: taskRef(import.meta.url, 'sumRange'), args: [numbers, n / 2, n, partials, 1] }),
    ];
    for (const child of children) child.start();
    await Promise.all(children.map((child) => child.join()));
    if (children.some((child) => child.exitcode !== 0)) throw new Error(`a Process failed: exit codes ${children.map((child) => child.exitcode).join(', ')}`);
    halves = partials.toArray();
    segments = smm.listSegments();
  } // smm.shutdown(): every segment it made is closed and unlinked
  const total = halves.reduce((a, b) => a + b, 0);
  const expected = (n * (n - 1)) / 2;
  const left = segments.filter(segmentExists);
  console.log(`sum of range(${n}) = ${halves.join(' + ')} = ${total} (expected ${expected}); ` +
    `manager shut down, ${left.length} of its ${segments.length} segments left`);
  process.exitCode = total === expected && left.length === 0 ? 0 : 1;
}
