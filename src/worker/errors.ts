// Errors the worker side raises about a task itself (kept apart so importing multiproc does not load the worker loop).
import { MultiprocError } from '../errors.js';

/** A task names a module export that is missing or not a function. */
export class TaskNotFoundError extends MultiprocError {
  constructor(message: string) {
    super('ERR_MP_TASK_NOT_FOUND', message);
  }
}
