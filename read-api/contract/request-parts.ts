import { z } from 'zod';
import { SUBJECT_PATTERN } from '../../infra/auth/jwt-tokens';
import type { ErrorCode } from '../../infra/http/openapi';

/** A position a write returned: the consistency token of read-your-writes. */
export const position = z
  .string()
  .regex(/^\d{1,20}$/, 'must be a position returned by the write API')
  .transform((v) => BigInt(v));

const READ_YOUR_WRITES =
  'A `position` a write returned: the read waits (up to 2 s by default) until the read model has applied it, else answers `503 READ_MODEL_BEHIND`.';

export const listQuery = {
  cursor: z
    .string()
    .regex(/^[0-9a-f-]{36}$/, 'must be a cursor returned by a previous page')
    .optional()
    .meta({ description: "the previous page's `nextCursor`" }),
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'items per page' }),
  minPosition: position.optional().meta({ description: READ_YOUR_WRITES }),
};

export const readQuery = z.strictObject({
  minPosition: position.optional().meta({ description: READ_YOUR_WRITES }),
});

/** `X-Min-Position`, read by minPositionOf (read-api/read-queries.ts) when the query has no `minPosition`. */
export const minPositionHeader = z.object({
  'X-Min-Position': position
    .optional()
    .meta({ description: `${READ_YOUR_WRITES} The \`minPosition\` query parameter wins over this header.` }),
});

/** User ids are token subjects (ASCII, at most 64): anything else cannot name a user, so it never reaches a shard. */
export const userParam = z.strictObject({ userId: z.string().regex(SUBJECT_PATTERN, 'must be a user id') });

/** What every read of a read model may answer besides its own refusals (each is a buyer's, so under their quota). */
export const READ_MODEL: readonly ErrorCode[] = [
  'RATE_LIMITED',
  'READ_MODEL_BEHIND',
  'READ_MODEL_NOT_READY',
  'DEPENDENCY_UNAVAILABLE',
  // A shard's connection pool queue is full (infra/mysql/mysql-errors.ts): refused unsent.
  'OVERLOADED',
  'INTERNAL_ERROR',
];
