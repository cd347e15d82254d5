// Starts a manager server's child process with an IPC channel to it. A leaf: it imports nothing from src/, so
// managers/ may use it (scripts/check-layers.mjs places it low).

/** What the parent holds of a started manager child. */
export interface ManagerChild {
  readonly pid: number;
  /** Sends one message over the channel (structured clone). */
  send(message: unknown): void;
  /** The first message the child sends, or the child's exit (code, signal) if it ends without one. */
  firstMessage(): Promise<{ message: unknown } | { exit: [code: number | null, signal: string | null] }>;
  /** Settles when the child has exited, with its exit code (null when a signal ended it). */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** Lets the child run without keeping this process alive (the channel stays open). */
  release(): void;
  kill(signal?: NodeJS.Signals): void;
  readonly alive: boolean;
}

/** Inspector flags would make the child fight the parent for the port. */
const ownFlags = (flags: readonly string[]): string[] => flags.filter((flag) => !/^--inspect(-brk|-port|-publish-uid)?(=|$)/.test(flag));

/** Runs `script` in a new Node process with this process's flags (so a loader such as tsx carries over). */
export function spawnManagerChild(script: string): ManagerChild {
  const child = process.getBuiltinModule('node:child_process').spawn(process.execPath, [...ownFlags(process.execArgv), script], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  return {
    get pid() {
      return child.pid ?? -1;
    },
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    send(message) {
      child.send(message as never);
    },
    firstMessage() {
      return new Promise((resolve) => {
        const onMessage = (message: unknown): void => {
          child.off('exit', onExit);
          resolve({ message });
        };
        const onExit = (code: number | null, signal: string | null): void => {
          child.off('message', onMessage);
          resolve({ exit: [code, signal] });
        };
        child.once('message', onMessage);
        child.once('exit', onExit);
      });
    },
    exited,
    release() {
      child.unref();
      (child.channel as { unref?: () => void } | null | undefined)?.unref?.();
    },
    kill(signal = 'SIGTERM') {
      child.kill(signal);
    },
  };
}
