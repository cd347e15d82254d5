// Errors the worker side raises about a task itself: its module is missing or fails to load, or does not
// export it (kept apart so importing multiproc does not load the worker loop). Registered with the codec, so
// the caller receives them as these classes.
import { MultiprocError } from '../errors.js';
import { libraryErrorsUrl } from '../serialize/errors.js';
import { registry } from '../serialize/registry.js';

/**
 * A task's module does not exist. Code `ERR_MP_TASK_MODULE_NOT_FOUND`; `cause` is the error the file
 * system or the module loader gave.
 */
export class TaskModuleNotFoundError extends MultiprocError {
  readonly moduleUrl: string;

  constructor(moduleUrl: string, cause: unknown) {
    super('ERR_MP_TASK_MODULE_NOT_FOUND', `Task module ${moduleUrl} does not exist. Name a task module by a URL ` +
      "relative to the calling module, new URL('./tasks.js', import.meta.url), that points at the file Node runs " +
      '(after a build, the compiled .js file)', { cause });
    this.moduleUrl = moduleUrl;
  }
}

/**
 * A task's module exists but cannot be imported: it has a syntax error, imports something missing, or
 * throws at its top level. Code `ERR_MP_TASK_MODULE_FAILED`; `cause` is the original error, with its stack.
 */
export class TaskModuleFailedError extends MultiprocError {
  readonly moduleUrl: string;

  constructor(moduleUrl: string, message: string, cause: unknown) {
    super('ERR_MP_TASK_MODULE_FAILED', message, { cause });
    this.moduleUrl = moduleUrl;
  }
}

/**
 * A task names a module export that is missing or not a function. Code `ERR_MP_TASK_NOT_FOUND`.
 * `exportedFunctions` lists what the module does export; `suggestion` is the closest of them, if one is close.
 */
export class TaskNotFoundError extends MultiprocError {
  readonly moduleUrl: string;
  readonly taskName: string;
  readonly exportedFunctions: string[];
  readonly suggestion: string | undefined;

  constructor(moduleUrl: string, taskName: string, details: { found: string | undefined; exportedFunctions: string[]; suggestion: string | undefined }) {
    const { found, exportedFunctions, suggestion } = details;
    const shown = exportedFunctions.length > 30 ? [...exportedFunctions.slice(0, 30), `and ${exportedFunctions.length - 30} more`] : exportedFunctions;
    super('ERR_MP_TASK_NOT_FOUND', `Task module ${moduleUrl} has no exported function \`${taskName}\`` +
      `${found === undefined ? '' : ` (found ${found})`}` +
      `${suggestion === undefined ? '.' : `; did you mean \`${suggestion}\`?`}` +
      `${exportedFunctions.length === 0 ? ' It exports no functions.' : ` Its exported functions: ${shown.join(', ')}.`}` +
      ' A task must be a named export of its module');
    this.moduleUrl = moduleUrl;
    this.taskName = taskName;
    this.exportedFunctions = exportedFunctions;
    this.suggestion = suggestion;
  }
}

// By a fixed name and URL, as the codec's own errors are (see libraryErrorsUrl).
registry.registerClass(TaskModuleNotFoundError, libraryErrorsUrl, { name: 'TaskModuleNotFoundError' });
registry.registerClass(TaskModuleFailedError, libraryErrorsUrl, { name: 'TaskModuleFailedError' });
registry.registerClass(TaskNotFoundError, libraryErrorsUrl, { name: 'TaskNotFoundError' });
