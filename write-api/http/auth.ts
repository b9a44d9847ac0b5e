import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { InvalidTokenError, type JwtTokens } from '../../infra/auth/jwt-tokens';
import type { Role } from '../../domain/user/user-events';
import { forbidden, unauthenticated } from './api-error';

/** Requires a valid bearer token, and the given role when one is named. */
export const authenticate =
  (tokens: JwtTokens, role?: Role): RequestHandler =>
  (req: Request, res: Response, next: NextFunction): void => {
    const header = req.get('authorization');
    const match = header ? /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header) : null;
    if (!match?.[1]) return next(unauthenticated('a bearer token is required'));
    try {
      const principal = tokens.verify(match[1]);
      if (role && principal.role !== role) return next(forbidden(`this needs the ${role} role`));
      res.locals.principal = principal;
      next();
    } catch (error) {
      next(error instanceof InvalidTokenError ? unauthenticated(`invalid token: ${error.message}`) : error);
    }
  };
