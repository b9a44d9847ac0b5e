import type { z } from 'zod';
import { ApiError } from './api-error';

/** Parses a request part with a strict schema; unknown fields and wrong types answer 400 VALIDATION_FAILED. */
export const parseWith = <Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  where: string,
): z.infer<Schema> => {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    path: issue.path.join('.') || where,
    message: issue.message,
  }));
  const first = issues[0];
  throw new ApiError(
    400,
    'VALIDATION_FAILED',
    first ? `${where} ${first.path}: ${first.message}` : `invalid ${where}`,
    { issues },
  );
};
