import type { Response } from 'express';
import { z } from 'zod';
import { forbidden } from '../../infra/http/api-error';
import { principalOf } from '../../infra/http/request-context';

export const userParam = z.strictObject({ userId: z.string().min(1).max(64) });

/** A user's own data is theirs and the administrators'. */
export const requireSelfOrAdmin = (userId: string, res: Response): void => {
  const principal = principalOf(res);
  if (principal.userId !== userId && principal.role !== 'admin')
    throw forbidden('you may read only your own data');
};
