import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { CommandContext } from '../../commands/command-context';
import type { Principal } from '../auth/jwt-tokens';
import { unauthenticated } from './api-error';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `X-Request-Id` when it is sane (1–128 of `A-Za-z0-9._:-`), else a fresh UUID. */
export const requestIdFrom = (given: string | undefined): string =>
  given !== undefined && REQUEST_ID.test(given) ? given : randomUUID();

/** Takes the caller's X-Request-Id when it is sane, else makes one; echoed back and used as correlation id. */
export const requestId = (req: Request, res: Response, next: NextFunction): void => {
  const id = requestIdFrom(req.get('x-request-id'));
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
  next();
};

export const requestIdOf = (res: Response): string => String(res.locals.requestId);

export const principalOf = (res: Response): Principal => {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw unauthenticated('a bearer token is required');
  return principal;
};

/** The context of a command made by the authenticated caller under this request's id. */
export const commandContext = (res: Response): CommandContext => {
  const id = requestIdOf(res);
  return { actorId: principalOf(res).userId, correlationId: id, causationId: id };
};

export const anonymousContext = (res: Response): CommandContext => {
  const id = requestIdOf(res);
  return { actorId: 'anonymous', correlationId: id, causationId: id };
};
