/**
 * A value the caller sent cannot be stored or looked up as given (a storage refused the value itself: wrong
 * characters for a column, too long, out of range). The caller's own fault: HTTP 400, never a 503, and never the
 * fault of anyone whose request happened to share a batch with it.
 */
export class InvalidInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidInputError';
  }
}
