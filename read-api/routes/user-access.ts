import type { Response } from 'express';
import { forbidden } from '../../infra/http/api-error';
import { principalOf } from '../../infra/http/request-context';

/** A user's own data is theirs and the administrators'. */
export const requireSelfOrAdmin = (userId: string, res: Response): void => {
  const principal = principalOf(res);
  if (principal.userId !== userId && principal.role !== 'admin')
    throw forbidden('you may read only your own data');
};
