// The Node flags a pool worker starts with: the parent's (or the pool's `execArgv`) less those that make Node
// run other code than the worker entry.

/**
 * Flags that make Node evaluate, print, test, watch, check or build something other than the file it is
 * given, read a script from elsewhere, or print and exit. A worker forked with `-e <code>` runs the parent's
 * code again (which starts a pool, which forks...) and never the worker entry.
 */
const otherProgram = new Set([
  '-e', '--eval', '-p', '--print', '-pe', '-i', '--interactive', '-c', '--check', '--input-type', '--test', '--watch',
  '--build-snapshot', '--snapshot-blob', '--prof-process', '--run', '--experimental-sea-config',
  '-h', '--help', '-v', '--version', '--v8-options', '--completion-bash',
]);
const otherProgramPrefixes = ['--test-', '--experimental-test-', '--watch-'];
/** The value of these is always the next token, even one starting with '-' (`node -e "-1"`). */
const codeValue = new Set(['-e', '--eval', '-pe']);

/**
 * Options Node applies to the whole process (V8's, and Node's own per-process ones): a worker thread has
 * them already and its `execArgv` may not name them (ERR_WORKER_INVALID_EXEC_ARGV). Measured on Node 20
 * against every flag of `process.allowedNodeEnvironmentFlags`; V8 flags Node does not list are left out
 * because they are not in that set.
 */
const processWide = new Set([
  'abort-on-uncaught-exception', 'disallow-code-generation-from-strings', 'enable-etw-stack-walking', 'expose-gc',
  'huge-max-old-generation-size', 'interpreted-frames-native-stack', 'jitless', 'max-old-space-size', 'max-semi-space-size',
  'perf-basic-prof', 'perf-basic-prof-only-functions', 'perf-prof', 'perf-prof-unwinding-info', 'stack-trace-limit',
  'experimental-shadow-realm', 'debug-arraybuffer-allocations', 'disable-proto', 'disable-wasm-trap-handler', 'enable-fips',
  'force-fips', 'icu-data-dir', 'node-memory-debug', 'node-snapshot', 'openssl-config', 'openssl-legacy-provider',
  'openssl-shared-config', 'report-compact', 'report-dir', 'report-directory', 'report-filename', 'report-on-fatalerror',
  'secure-heap', 'secure-heap-min', 'snapshot-blob', 'title', 'tls-cipher-list', 'trace-event-categories',
  'trace-event-file-pattern', 'trace-events-enabled', 'trace-sigint', 'use-bundled-ca', 'use-largepages', 'use-openssl-ca',
  'v8-pool-size', 'zero-fill-buffers',
]);

/**
 * Flags a worker thread cannot start with when it inherits them: `--input-type` makes Node refuse a file entry
 * (ERR_INPUT_TYPE_NOT_ALLOWED). A thread ignores the other flags dropped here (measured on Node 20: it runs its
 * entry under `-e`, `-p`, `-i`, `-c`, `--test` and `--inspect`), so a thread inherits as before unless this one is set.
 */
const refusedByThreads = new Set(['--input-type']);

export interface WorkerExecArgvOptions {
  /** Keep `--inspect*` and `--debug-port` (a list the user gave names them on purpose). @default false */
  keepInspector?: boolean;
}

/** A flag's name: before any `=`, with Node's `_`-for-`-` spelling of long options undone. */
function flagName(token: string): string {
  const name = token.split('=', 1)[0]!;
  return name.startsWith('--') ? `--${name.slice(2).replaceAll('_', '-')}` : name;
}

/**
 * Splits a flag list into one group per flag with its value when the value is its own token. In
 * `process.execArgv` every token not starting with '-' is the value of the flag before it (the script and its
 * arguments are in `process.argv`), so a value can be told apart without knowing every flag.
 */
function flagGroups(execArgv: readonly string[]): string[][] {
  const groups: string[][] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const token = execArgv[i]!;
    const group = [token];
    const next = execArgv[i + 1];
    if (next !== undefined && !token.includes('=') && (codeValue.has(token) || !next.startsWith('-'))) {
      group.push(next);
      i++;
    }
    groups.push(group);
  }
  return groups;
}

function runsOtherProgram(name: string, keepInspector: boolean): boolean {
  if (otherProgram.has(name) || otherProgramPrefixes.some((prefix) => name.startsWith(prefix))) return true;
  return !keepInspector && (name.startsWith('--inspect') || name === '--debug-port');
}

/**
 * `execArgv` without the flags that would make a worker run other code than its entry: `-e`/`--eval`,
 * `-p`/`--print` (with their code), `-i`, `-c`, `--input-type`, `--test*`, `--watch*`, snapshot and
 * print-and-exit flags, and (unless `keepInspector`) `--inspect*`: workers sharing the parent's inspector port
 * would fail to bind it, and `--inspect-brk` would stop each one until a debugger attached. Loaders and
 * preloads (`--import`, `--loader`, `--experimental-loader`, `-r`/`--require`), `--conditions`/`-C`, V8 and
 * other Node options are kept, in order.
 */
export function workerExecArgv(execArgv: readonly string[], options: WorkerExecArgvOptions = {}): string[] {
  const keepInspector = options.keepInspector ?? false;
  return flagGroups(execArgv).filter(([flag]) => !runsOtherProgram(flagName(flag!), keepInspector)).flat();
}

/** A child process's flags: the pool's `execArgv` if given (inspector flags kept), else the parent's, filtered. */
export function processExecArgv(given: readonly string[] | undefined, parent: readonly string[] = process.execArgv): string[] {
  return given === undefined ? workerExecArgv(parent) : workerExecArgv(given, { keepInspector: true });
}

/**
 * A worker thread's `execArgv`: the pool's, filtered, if given; else `undefined` (the thread inherits the
 * parent's, which Node accepts whatever they are) unless the parent has a flag threads cannot start with.
 * Then the filtered list is given explicitly, without the process-wide options a thread's list may not name.
 */
export function threadExecArgv(given: readonly string[] | undefined, parent: readonly string[] = process.execArgv,
  known: ReadonlySet<string> = process.allowedNodeEnvironmentFlags): string[] | undefined {
  if (given !== undefined) return workerExecArgv(given, { keepInspector: true });
  const groups = flagGroups(parent);
  if (!groups.some(([flag]) => refusedByThreads.has(flagName(flag!)))) return undefined;
  return flagGroups(workerExecArgv(parent)).filter(([flag]) => {
    const name = flagName(flag!);
    return known.has(name) && !processWide.has(name.replace(/^--(no-)?/, ''));
  }).flat();
}
