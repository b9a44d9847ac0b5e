/**
 * A bounded queue in front of a dependency is full: the call was refused at once, before anything was sent, instead of
 * waiting without end. Nothing of it was done; the caller may retry after `retryAfterSeconds`. HTTP 503 OVERLOADED.
 */
export class OverloadedError extends Error {
  constructor(
    /** What is full, e.g. "event store append queue". */
    readonly resource: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`${resource} is full; retry in ${retryAfterSeconds} s`);
    this.name = 'OverloadedError';
  }
}
