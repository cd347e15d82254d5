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
  void [one, direct, pairs, applied, value, same];

  // @ts-expect-error a ref to a value of another type
  await tasks.sumSlice(records, 0, 8);
  // @ts-expect-error a ref stands for an argument, not for the whole argument list
  await tasks.sumSlice(data);
  // @ts-expect-error get() gives the stored type
  const wrong: string = await data.get();
  void wrong;
}
