/**
 * A request the API refused or could not answer, carrying the API's own `{error: {code, message, details}}`
 * (README, "HTTP contract") so pages show its message, never a blank page. `status` 0: no answer at all (network).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    /** Seconds from `Retry-After`, when the API sent one (429, 503). */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The API's per-field messages: `details.issues[].path` (a dotted path, e.g. `totalStock`) → its first message. */
  fieldMessages(): Record<string, string> {
    const issues = this.details.issues;
    const messages: Record<string, string> = {};
    if (!Array.isArray(issues)) return messages;
    for (const issue of issues as { path?: unknown; message?: unknown }[]) {
      const path = typeof issue.path === 'string' ? issue.path : '';
      if (path !== '' && typeof issue.message === 'string' && !(path in messages))
        messages[path] = issue.message;
    }
    return messages;
  }
}

/** Whatever a call threw, as something a page can show. */
export const asApiError = (error: unknown): ApiError =>
  error instanceof ApiError
    ? error
    : new ApiError(0, 'NETWORK_ERROR', error instanceof Error ? error.message : String(error));
