import jwt from 'jsonwebtoken';
import { JWT_SECRET } from './test-env';

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown> & {
    error?: { code: string; message: string; details?: Record<string, unknown> };
  };
}

/** A token for any user id, signed as the write-api signs them; tests mint thousands without registering. */
export const tokenFor = (userId: string, role: 'user' | 'admin' = 'user'): string =>
  jwt.sign({ role }, JWT_SECRET, {
    algorithm: 'HS256',
    subject: userId,
    issuer: 'couponkill',
    audience: 'couponkill',
    expiresIn: 600,
  });

export const request = async (
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse> => {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
    headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: JsonResponse['body'] = {};
  if (text.length > 0) parsed = JSON.parse(text) as JsonResponse['body'];
  return { status: response.status, headers: response.headers, body: parsed };
};
