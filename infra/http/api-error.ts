/** An answer the API gives on purpose: status, stable code, message and optional details, sent as `{ error: {...} }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const unauthenticated = (message: string): ApiError =>
  new ApiError(401, 'UNAUTHENTICATED', message, undefined, {
    'WWW-Authenticate': 'Bearer realm="couponkill"',
  });

export const forbidden = (message: string): ApiError => new ApiError(403, 'FORBIDDEN', message);
