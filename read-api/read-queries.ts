import type { Request } from 'express';
import { parseWith } from '../infra/http/validation';
import { position } from './contract/request-parts';

/** `minPosition` comes as a query parameter or as the `X-Min-Position` header. */
export const minPositionOf = (fromQuery: bigint | undefined, req: Request): bigint | null => {
  if (fromQuery !== undefined) return fromQuery;
  const header = req.get('x-min-position');
  if (header === undefined) return null;
  return parseWith(position, header, 'header X-Min-Position');
};
