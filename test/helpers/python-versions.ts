// The Python interpreters the interoperability tests run against; a missing one fails the test, never skips it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const pyenv = '/root/.pyenv/versions';

/** The path of a python3.X interpreter: pyenv's newest 3.X.*, else `python3.X` on PATH; throws when there is none. */
export function pythonFor(version: '3.11' | '3.12' | '3.13'): string {
  if (existsSync(pyenv)) {
    const found = readdirSync(pyenv)
      .filter((name) => name.startsWith(`${version}.`))
      .sort((a, b) => Number(b.split('.')[2]) - Number(a.split('.')[2]));
    for (const name of found) {
      const path = `${pyenv}/${name}/bin/python3`;
      if (existsSync(path)) return path;
    }
  }
  const onPath = spawnSync(`python${version}`, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (onPath.status === 0) return `python${version}`;
  throw new Error(`Python ${version} is needed for this test and was not found (looked in ${pyenv} and for python${version} on PATH)`);
}
