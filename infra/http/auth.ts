import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Role } from '../../domain/user/user-events';
import type { JwtTokens } from '../auth/jwt-tokens';
import { forbidden } from './api-error';
import { principalFromAuthorization } from './bearer';

/** Requires a valid bearer token, and the given role when one is named; the principal goes to `res.locals`. */
export const authenticate =
  (tokens: JwtTokens, role?: Role): RequestHandler =>
  (req: Request, res: Response, next: NextFunction): void => {
    try {
      const principal = principalFromAuthorization(tokens, req.get('authorization'));
      if (role && principal.role !== role) return next(forbidden(`this needs the ${role} role`));
      res.locals.principal = principal;
      next();
    } catch (error) {
      next(error);
    }
  };
