import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { ApiError } from './api-error';
import { requestShapeError } from './json-body';
import { requestIdOf } from './request-context';

/** An API's own mapping from the errors its handlers throw to answers; `null` means "unexpected". */
export type ErrorMapping = (error: unknown) => ApiError | null;

export const notFound: RequestHandler = (req, _res, next) =>
  next(new ApiError(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`));

const INTERNAL = new ApiError(500, 'INTERNAL_ERROR', 'an unexpected error occurred');

/**
 * The answer to a failed request, logged as its kind deserves: a dependency that is down once at warn level, an
 * unexpected error at error level with its stack (never sent to the client), a deliberate answer not at all.
 */
export const failureAnswer = (
  error: unknown,
  mapping: ErrorMapping,
  logger: Logger,
  context: { readonly requestId: string; readonly path: string },
  known: ApiError | null = requestShapeError(error) ?? mapping(error),
): ApiError => {
  const answer = known ?? INTERNAL;
  if (answer.status === 503) logger.warn({ ...context, err: error }, 'dependency unavailable');
  else if (!known) logger.error({ ...context, err: error }, 'unexpected error');
  return answer;
};

/** The JSON body of an error answer: `{ error: { code, message, details? } }`. */
export const errorBody = (answer: ApiError): { error: Record<string, unknown> } => ({
  error: {
    code: answer.code,
    message: answer.message,
    ...(answer.details ? { details: answer.details } : {}),
  },
});

/** The one place express errors become responses: a JSON body, never a stack trace. */
export const errorHandler =
  (logger: Logger, mapping: ErrorMapping): ErrorRequestHandler =>
  (error: unknown, req, res, _next) => {
    const answer = failureAnswer(error, mapping, logger, { requestId: requestIdOf(res), path: req.path });
    if (res.headersSent) return;
    res.set(answer.headers);
    res.status(answer.status).json(errorBody(answer));
  };
