// Compile-time checks of refs as task arguments: a ref stands for its value at the top of a call's
// arguments, and only for a value of the parameter's type. Checked by `npm run build`.
import type { ObjectRef, Pool } from '../../src/index.js';
import type * as StoreTasks from '../fixtures/store-tasks.js';

/** Never called: only compiled. */
export async function typeChecks(pool: Pool, url: URL): Promise<void> {
  const tasks = pool.load<typeof StoreTasks>(url);
  const data: ObjectRef<Float64Array> = pool.put(new Float64Array(8));
  const records = pool.put(new Map<number, { name: string; tags: string[] }>());

  // What must compile.
  const one: number = (await tasks.sumSlice(data, 0, 8)).sum;
  const direct: number = (await tasks.sumSlice(new Float64Array(8), 0, 8)).sum;
  const pairs = await tasks.sumSlice.starmap([[data, 0, 4], [data, 4, 8]]);
  const applied = await pool.apply(tasks.describeRecords, [records, 1]);
  const value: Float64Array = await data.get();
  const same: Float64Array = data.getSync({ copy: true });
  // A map item may be a ref to the task's argument: it arrives as the value.
  const lengths: number[] = await tasks.lengthOf.map([data, new Float64Array(2)]);
  const viaPool: number[] = await pool.map(tasks.lengthOf, [data]);
  for await (const length of tasks.lengthOf.imap([data, data])) {
    const n: number = length;
    void n;
  }
  for await (const length of pool.imapUnordered(tasks.lengthOf, [data])) {
    const n: number = length;
    void n;
  }
  void [one, direct, pairs, applied, value, same, lengths, viaPool];

  // @ts-expect-error a ref to a value of another type
  await tasks.sumSlice(records, 0, 8);
  // @ts-expect-error a ref stands for an argument, not for the whole argument list
  await tasks.sumSlice(data);
  // @ts-expect-error a map item's ref must be to a value of the task's argument type
  await tasks.lengthOf.map([records]);
  // @ts-expect-error the same for imap
  tasks.lengthOf.imap([data, records]);
  // @ts-expect-error and for imapUnordered through the pool
  pool.imapUnordered(tasks.lengthOf, [records]);
  // @ts-expect-error map results are the task's results, refs or not
  const wrongLengths: string[] = await tasks.lengthOf.map([data]);
  void wrongLengths;
  // @ts-expect-error get() gives the stored type
  const wrong: string = await data.get();
  void wrong;
}
