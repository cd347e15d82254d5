// Errors of the object store, each with a stable code.
import { MultiprocError } from '../errors.js';

/** The object behind a ref was released: its segment is gone, and no worker may read it any more. */
export class StoreReleasedError extends MultiprocError {
  constructor(id: string, options: { cause?: unknown } = {}) {
    super('ERR_MP_STORE_RELEASED', `The stored object ${id} was released; its memory is gone. Keep the ref until no task needs it`, options);
  }
}

/** `put()` on a store (or a pool) that was closed. */
export class StoreClosedError extends MultiprocError {
  constructor(what: string) {
    super('ERR_MP_STORE_CLOSED', `Cannot put an object into ${what}: it was closed`);
  }
}

/** A stored Arrow value read where `apache-arrow` cannot be loaded. */
export class StoreArrowError extends MultiprocError {
  constructor(options: { cause?: unknown } = {}) {
    super('ERR_MP_STORE_ARROW_MISSING', 'Reading a stored Arrow table needs the apache-arrow package, which cannot be loaded here. Install apache-arrow beside multiproc', options);
  }
}
