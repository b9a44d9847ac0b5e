/**
 * Reading client-node's ApiException ({code, body}) by shape rather than by class, so code that only reports errors
 * (the reconciler, its unit specs) does not load the client library.
 */
interface ApiErrorShape {
  code: number;
  body?: unknown;
}

const isApiError = (error: unknown): error is ApiErrorShape =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number';

/** The HTTP status of a failed Kubernetes call (404, 409, …), or undefined for network errors. */
export const statusOf = (error: unknown): number | undefined => (isApiError(error) ? error.code : undefined);

/** A readable one-liner for a failed call: the server's Status message when there is one. */
export function describeError(error: unknown): string {
  if (isApiError(error)) {
    const parsed = typeof error.body === 'string' ? safeParse(error.body) : error.body;
    if (parsed && typeof parsed === 'object' && 'message' in parsed && typeof parsed.message === 'string')
      return `${String(error.code)}: ${parsed.message}`;
    return `HTTP ${String(error.code)}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
