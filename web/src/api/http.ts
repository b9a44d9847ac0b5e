import { ApiError } from './api-error';

export interface Call {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: string;
  readonly token?: string | null;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

export interface Answer<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/**
 * One JSON request. Resolves with 2xx answers; rejects with an ApiError carrying the API's own code and message
 * (`{error: {code, message, details}}`), or a plain one when the answer is not the API's (a proxy's page, no network).
 */
export const callJson = async <T>(call: Call): Promise<Answer<T>> => {
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(call.url, {
      method: call.method,
      headers,
      body: call.body === undefined ? null : JSON.stringify(call.body),
      signal: call.signal ?? null,
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(
      0,
      'NETWORK_ERROR',
      'The service cannot be reached. Check your connection and try again.',
    );
  }
  const text = await response.text();
  const body = parseJson(text);
  if (response.ok) return { status: response.status, body: body as T, headers: response.headers };
  const retryAfter = Number(response.headers.get('retry-after'));
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  throw new ApiError(
    response.status,
    typeof error?.code === 'string' ? error.code : `HTTP_${response.status}`,
    typeof error?.message === 'string' ? error.message : `The service answered ${response.status}.`,
    typeof error?.details === 'object' && error.details !== null
      ? (error.details as Record<string, unknown>)
      : {},
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
  );
};

const parseJson = (text: string): unknown => {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};
