// The manager server the fuzz attacks, in a process of its own (so its RSS is its own): a canary object that counts
// its calls, and a registry that counts every global it resolves. Prints {"port": N}; serves until shutdown.
import { BaseManager, ManagedQueue, PickleRegistry, pickleRegistry } from '../../src/index.js';

/** Every global the server's unpickler resolved, by name: the allow-list is the only way in. */
class CountingRegistry extends PickleRegistry {
  readonly resolved = new Map<string, number>();

  override lookup(module: string, name: string): ReturnType<PickleRegistry['lookup']> {
    const entry = super.lookup(module, name) ?? pickleRegistry.lookup(module, name);
    if (entry !== undefined) this.resolved.set(`${module}.${name}`, (this.resolved.get(`${module}.${name}`) ?? 0) + 1);
    return entry;
  }
}

const registry = new CountingRegistry();

/** The served object: `hit()` counts calls, so a call that ran without authentication would show. */
export class Canary {
  hits = 0;

  hit(): number {
    return ++this.hits;
  }

  report(): string {
    return JSON.stringify({ hits: this.hits, resolved: Object.fromEntries(registry.resolved) });
  }
}

const canary = new Canary();
const queue = new ManagedQueue();
const [key, authTimeout, maxMessageSize, maxConnections] = process.argv.slice(2);
const manager = new BaseManager({
  authkey: new TextEncoder().encode(key),
  authTimeout: Number(authTimeout),
  maxMessageSize: Number(maxMessageSize),
  maxConnections: Number(maxConnections),
  loadOptions: { registry },
})
  .register('canary', { callable: () => canary })
  .register('queue', { callable: () => queue });
const server = await manager.getServer();
console.log(JSON.stringify({ port: (server.address as [string, number])[1] }));
await server.serveForever();
