import { InvalidTokenError, type JwtTokens, type Principal } from '../auth/jwt-tokens';
import { unauthenticated } from './api-error';

/**
 * `credentials = auth-scheme [ 1*SP token68 ]` with a case-insensitive scheme (RFC 9110 §11.4, §11.1) and RFC 6750
 * §2.1's b64token: `Bearer abc`, `bearer abc`, `BEARER  abc` are the same credentials.
 */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** The token of an `Authorization: Bearer <token>` header, or null when there is none in that shape. */
export const bearerToken = (authorization: string | undefined): string | null =>
  authorization === undefined ? null : (BEARER.exec(authorization.trim())?.[1] ?? null);

/**
 * The principal of a request, from its `Authorization: Bearer <token>` header.
 * Throws ApiError 401 UNAUTHENTICATED when the header is missing, malformed, or its token is invalid.
 */
export const principalFromAuthorization = (
  tokens: JwtTokens,
  authorization: string | undefined,
): Principal => {
  const token = bearerToken(authorization);
  if (!token) throw unauthenticated('a bearer token is required');
  try {
    return tokens.verify(token);
  } catch (error) {
    throw error instanceof InvalidTokenError ? unauthenticated(`invalid token: ${error.message}`) : error;
  }
};
