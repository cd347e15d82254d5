// The child side of a `Process`: import the target's module, rebuild the target (or the Process subclass
// instance) and its arguments through the codec, run it, and end with Python's exit codes.
import { importModule } from '../import-module.js';
import { decode, registerModule, trustModules, type Packet } from '../serialize/index.js';
import { setCurrentProcess, type ProcessInfo } from './current-process.js';
import { enterTaskImport, leaveTaskImport } from './current-worker.js';

/** The second argument of a child process that runs a `Process` (backends/child.ts), not a pool worker. */
export const processTargetFlag = '--multiproc-process';

/** What the parent sends a Process's child: itself, where its code lives, and the encoded start. */
export interface ProcessStart {
  type: 'process-start';
  v: 1;
  current: ProcessInfo;
  parent: ProcessInfo;
  /** The module of the target function or the Process subclass, imported first. */
  moduleUrl: string;
  /** Encoded `{ name, args }` (the target: an export of the module), or `{ instance }` (a subclass with `run()`). */
  packet: Packet;
}

export function isProcessStart(value: unknown): value is ProcessStart {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'process-start' && (value as { v?: unknown }).v === 1;
}

type Start = { name: string; args: unknown[] } | { instance: { run(): unknown } };

/** Runs the Process and returns its exit code: 0, or 1 after printing what the target threw (as Python does). */
export async function runProcess(start: ProcessStart): Promise<number> {
  setCurrentProcess(start.current, start.parent);
  try {
    trustModules(start.moduleUrl);
    // While the module's top level runs, starting a Process or a Pool is refused (see PoolBootstrapError).
    enterTaskImport();
    const module = (await importModule(start.moduleUrl).finally(leaveTaskImport)) as Record<string, unknown>;
    registerModule(start.moduleUrl, module);
    const decoded = (await decode(start.packet)) as Start;
    if ('instance' in decoded) {
      await decoded.instance.run();
    } else {
      const target = module[decoded.name];
      if (typeof target !== 'function') throw new TypeError(`Module ${start.moduleUrl} has no exported function \`${decoded.name}\` (found ${typeof target})`);
      await (target as (...args: unknown[]) => unknown)(...decoded.args);
    }
    return 0;
  } catch (error) {
    const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    process.stderr.write(`Process ${start.current.name}:\n${text}\n`);
    return 1;
  }
}
