// `@serializable(import.meta.url)`: the standard (TC39) class-decorator form of registerClass.
import { registry, type ClassOptions, type Constructor } from './registry.js';

/**
 * Registers the decorated class under its own name and `moduleUrl` (pass `import.meta.url`), with
 * optional reduce hooks, exactly as `registerClass` does.
 */
export function serializable<T extends object>(moduleUrl: string | URL, options: ClassOptions<T> = {}) {
  return <C extends Constructor<T>>(cls: C, context?: ClassDecoratorContext<C>): void => {
    const name = options.name ?? (typeof context?.name === 'string' ? context.name : cls.name);
    registry.registerClass(cls, moduleUrl, { ...options, name });
  };
}
