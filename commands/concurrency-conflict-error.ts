/**
 * Other writers kept changing the stream between our read and our append, through every retry. Nothing was written;
 * the caller may retry later (HTTP 409 CONCURRENCY_CONFLICT with Retry-After).
 */
export class ConcurrencyConflictError extends Error {
  constructor(
    readonly streamId: string,
    readonly attempts: number,
  ) {
    super(`${streamId} kept changing under ${attempts} attempts; nothing was written, retry shortly`);
    this.name = 'ConcurrencyConflictError';
  }
}
