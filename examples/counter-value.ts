// A counter in shared memory incremented by 4 processes, each holding the Value's lock around `+= 1`.
// Run: node dist/examples/counter-value.js
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Value, type CtypeRef } from 'multiproc';

const processes = 4;
const increments = 10_000;

if (process.argv[2] === 'child') {
  // The child attaches to the same Value (and its lock) by reference.
  using counter = Value.fromRef<'i'>(JSON.parse(process.argv[3]!) as CtypeRef);
  for (let i = 0; i < increments; i++) {
    using _held = counter.guardSync();
    counter.value += 1;
  }
} else {
  using counter = new Value('i', 0);
  const self = fileURLToPath(import.meta.url);
  const children = Array.from({ length: processes }, () => fork(self, ['child', JSON.stringify(counter.toRef())]));
  await Promise.all(children.map((child) => once(child, 'exit')));
  const expected = processes * increments;
  console.log(`counter = ${counter.value} (expected ${expected}): ${counter.value === expected ? 'exact' : 'LOST UPDATES'}`);
  process.exitCode = counter.value === expected ? 0 : 1;
}
