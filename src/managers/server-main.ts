// The child process of BaseManager.start(): makes the manager from the description its parent sends, serves, and dies with the parent.
import { importModule } from '../import-module.js';
import { handleModuleUrl } from '../runtime-files.js';
import { dieWithParent } from '../native/parent-death.js';
import type { Address } from '../connection/address.js';
import type { ChildDescription, ChildReply, FunctionName } from './start-child.js';

/** The few exports of the package this child uses; it loads the package entry so user modules and the server share one copy. */
interface Package {
  decode(packet: unknown): Promise<unknown>;
  bytesToPacket(bytes: Uint8Array): unknown;
  [exportName: string]: unknown;
}

interface ChildManager {
  register(typeid: string, options: Record<string, unknown>): unknown;
  getServer(): Promise<{ address: unknown; serveForever(): Promise<void>; close(): void }>;
}

async function load(ref: FunctionName): Promise<(...args: unknown[]) => unknown> {
  const module = (await importModule(ref.url)) as Record<string, unknown>;
  const fn = module[ref.name];
  if (typeof fn !== 'function') throw new TypeError(`${ref.url} has no exported function ${ref.name}`);
  return fn as (...args: unknown[]) => unknown;
}

function answer(reply: ChildReply): Promise<void> {
  return new Promise((resolve) => process.send?.(reply, undefined, undefined, () => resolve()));
}

async function main(description: ChildDescription): Promise<void> {
  // Tied first: a parent killed while this child imports leaves no orphan.
  dieWithParent(description.parentPid);
  const lib = (await importModule(handleModuleUrl('index.js').href)) as Package;
  if (description.initializer !== null) {
    const initializer = await load(description.initializer);
    const initargs = (await lib.decode(lib.bytesToPacket(description.initargs))) as unknown[];
    await initializer(...initargs);
  }
  const Manager = lib[description.exportName] as (new (options: Record<string, unknown>) => ChildManager) | undefined;
  if (typeof Manager !== 'function') throw new TypeError(`the package has no manager class ${description.exportName}`);
  const manager = new Manager(description.options);
  for (const { typeid, callable, exposed, methodToTypeid } of description.typeids) {
    manager.register(typeid, {
      ...(callable === null ? {} : { callable: await load(callable) }),
      ...(exposed === null ? {} : { exposed }),
      methodToTypeid,
    });
  }
  const server = await manager.getServer();
  // The channel closing means the parent is gone (or let go of this child): stop, as the parent would have asked.
  process.once('disconnect', () => server.close());
  await answer({ type: 'ready', address: server.address as Address });
  await server.serveForever();
  process.exit(0);
}

process.once('message', (description: ChildDescription) => {
  main(description).catch(async (error: unknown) => {
    const failure = error as { message?: unknown; code?: unknown; stack?: unknown };
    await answer({
      type: 'failed',
      message: String(failure?.message ?? error),
      code: typeof failure?.code === 'string' ? failure.code : undefined,
      stack: typeof failure?.stack === 'string' ? failure.stack : undefined,
    }).catch(() => undefined);
    process.exit(1);
  });
});
