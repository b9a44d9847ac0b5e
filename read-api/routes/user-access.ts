import type { Response } from 'express';
import { z } from 'zod';
import { SUBJECT_PATTERN } from '../../infra/auth/jwt-tokens';
import { forbidden } from '../../infra/http/api-error';
import { principalOf } from '../../infra/http/request-context';

/** User ids are token subjects (ASCII, at most 64): anything else cannot name a user, so it never reaches a shard. */
export const userParam = z.strictObject({ userId: z.string().regex(SUBJECT_PATTERN, 'must be a user id') });

/** A user's own data is theirs and the administrators'. */
export const requireSelfOrAdmin = (userId: string, res: Response): void => {
  const principal = principalOf(res);
  if (principal.userId !== userId && principal.role !== 'admin')
    throw forbidden('you may read only your own data');
};
