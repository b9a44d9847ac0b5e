import { InvalidTokenError, type JwtTokens, type Principal } from '../auth/jwt-tokens';
import { unauthenticated } from './api-error';

const BEARER = /^Bearer ([A-Za-z0-9_.-]+)$/;

/**
 * The principal of a request, from its `Authorization: Bearer <token>` header (RFC 6750 §2.1).
 * Throws ApiError 401 UNAUTHENTICATED when the header is missing, malformed, or its token is invalid.
 */
export const principalFromAuthorization = (
  tokens: JwtTokens,
  authorization: string | undefined,
): Principal => {
  const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
  if (!token) throw unauthenticated('a bearer token is required');
  try {
    return tokens.verify(token);
  } catch (error) {
    throw error instanceof InvalidTokenError ? unauthenticated(`invalid token: ${error.message}`) : error;
  }
};
