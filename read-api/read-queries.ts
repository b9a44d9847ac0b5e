import type { Request } from 'express';
import { z } from 'zod';
import { parseWith } from '../infra/http/validation';

/** A position a write returned: the consistency token of read-your-writes. */
export const position = z
  .string()
  .regex(/^\d{1,20}$/, 'must be a position returned by the write API')
  .transform((v) => BigInt(v));

export const listQuery = {
  cursor: z
    .string()
    .regex(/^[0-9a-f-]{36}$/, 'must be a cursor returned by a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  minPosition: position.optional(),
};

export const readQuery = z.strictObject({ minPosition: position.optional() });

/** `minPosition` comes as a query parameter or as the `X-Min-Position` header. */
export const minPositionOf = (fromQuery: bigint | undefined, req: Request): bigint | null => {
  if (fromQuery !== undefined) return fromQuery;
  const header = req.get('x-min-position');
  if (header === undefined) return null;
  return parseWith(position, header, 'header X-Min-Position');
};
