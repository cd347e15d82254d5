// Compile-time checks of typed task modules: each `@ts-expect-error` must sit on a real type error, or the
// build fails (an unused directive is itself an error). Checked by `npm run build` and test/pool-types.test.ts.
import { taskRef, type Pool } from '../../src/index.js';
import type * as PoolTasks from '../fixtures/pool-tasks.js';

/** Never called: only compiled. */
export async function typeChecks(pool: Pool, url: URL): Promise<void> {
  const tasks = pool.load<typeof import('../fixtures/pool-tasks.js')>(url);

  // What must compile.
  const sum: number = await tasks.add(1, 2);
  const squares: number[] = await tasks.square.map([1, 2, 3]);
  const pairs: number[] = await tasks.add.starmap([[1, 2], [3, 4]]);
  const later: number = await tasks.slowSquare(3);
  const timed: { result: number; ms: number } = await tasks.timedSquare(4);
  for await (const value of tasks.square.imap([1, 2])) {
    const squared: number = value;
    void squared;
  }
  void [sum, squares, pairs, later, timed];

  // @ts-expect-error wrong argument type
  await tasks.add(1, '2');
  // @ts-expect-error too few arguments
  await tasks.add(1);
  // @ts-expect-error too many arguments
  await tasks.add(1, 2, 3);
  // @ts-expect-error a required argument is missing (the optional one may be)
  await tasks.slowSquare();
  // @ts-expect-error the result is a number, not a string
  const wrong: string = await tasks.add(1, 2);
  // @ts-expect-error a wrapped export's result is what the wrapper returns
  const unwrapped: number = await tasks.timedSquare(2);
  // @ts-expect-error map items are the task's first argument
  await tasks.square.map(['a', 'b']);
  // @ts-expect-error map results are the task's results
  const strings: string[] = await tasks.square.map([1, 2]);
  // @ts-expect-error starmap items are whole argument lists
  await tasks.add.starmap([[1, 'x']]);
  // @ts-expect-error imap items are the task's first argument
  tasks.square.imapUnordered([true]);
  // @ts-expect-error applyAsync takes the task's arguments
  tasks.add.applyAsync('1', 2);
  // @ts-expect-error an export that is not a function is not a task
  void tasks.notAFunction;
  // @ts-expect-error a class is not a task either
  void tasks.ValidationError;
  // @ts-expect-error nor is a name the module does not export
  void tasks.missing;
  // @ts-expect-error the tasks are read-only
  tasks.add = tasks.square;
  void [wrong, unwrapped, strings];

  // A task bound from an untyped reference takes the type it is given.
  const bound = pool.bind(taskRef<typeof PoolTasks.increment>(url, 'increment'));
  const next: number = await bound(1);
  void next;
  // @ts-expect-error wrong argument type
  await bound('1');
  // @ts-expect-error wrong arity
  await bound(1, 2);
  // @ts-expect-error the result is a number
  const text: string = await bound(1);
  // @ts-expect-error map items of the wrong type
  await bound.map([[1]]);
  void text;

  // Per-call options through with(): the task keeps its signature; the options are checked as options.
  const limited: number = await tasks.add.with({ timeout: 500 })(1, 2);
  const mapped: number[] = await tasks.square.with({ chunksize: 4 }).map([1, 2]);
  void [limited, mapped];
  // @ts-expect-error with() keeps the argument types
  await tasks.add.with({ timeout: 500 })(1, '2');
  // @ts-expect-error an unknown option
  tasks.add.with({ timeot: 500 });
  // @ts-expect-error a timeout is a number
  tasks.add.with({ timeout: '500' });

  // A registered function is a task as it is, typed by its own signature.
  const cube = (x: number): number => x ** 3;
  const cubed: number = await pool.apply(cube, [2]);
  const cubes: number[] = await pool.map(cube, [1, 2]);
  void [cubed, cubes];
  // @ts-expect-error its arguments are checked
  await pool.apply(cube, ['2']);
  // @ts-expect-error the callback gets the task's result
  pool.applyAsync(cube, [2], { callback: (value: string) => value });
  // @ts-expect-error starmapAsync's callback gets the list of results
  pool.starmapAsync(tasks.add, [[1, 2]], { callback: (value: number) => value });
}
