import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { CircuitOpenError, DependencyUnavailableError } from '../../commands/dependency-error';
import { InvalidInputError } from '../../commands/invalid-input-error';
import { OverloadedError } from '../../commands/overloaded-error';
import { ApiError } from './api-error';
import { requestShapeError } from './json-body';
import { requestIdOf } from './request-context';

/** An API's own mapping from the errors its handlers throw to answers; `null` means "unexpected". */
export type ErrorMapping = (error: unknown) => ApiError | null;

const RETRY_SOON = { 'Retry-After': '1' };

/**
 * What both APIs answer alike: deliberate answers (ApiError), a value the storage cannot hold (400, its sender's
 * fault), a dependency that is down or whose circuit breaker is open (503 DEPENDENCY_UNAVAILABLE), a full queue in
 * front of one (503 OVERLOADED), both with Retry-After, around the API's own mapping.
 */
export const withCommonErrors =
  (own: ErrorMapping): ErrorMapping =>
  (error) => {
    if (error instanceof ApiError) return error;
    const mapped = own(error);
    if (mapped) return mapped;
    if (error instanceof InvalidInputError) return new ApiError(400, 'VALIDATION_FAILED', error.message);
    if (error instanceof DependencyUnavailableError)
      return new ApiError(
        503,
        'DEPENDENCY_UNAVAILABLE',
        `${error.dependency} is unavailable; retry shortly`,
        undefined,
        RETRY_SOON,
      );
    if (error instanceof OverloadedError)
      return new ApiError(503, 'OVERLOADED', `${error.resource} is full; retry shortly`, undefined, {
        'Retry-After': String(error.retryAfterSeconds),
      });
    return null;
  };

export const notFound: RequestHandler = (req, _res, next) =>
  next(new ApiError(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`));

const INTERNAL = new ApiError(500, 'INTERNAL_ERROR', 'an unexpected error occurred');

/**
 * The answer to a failed request, logged as its kind deserves: a dependency that is down once per request at warn
 * level (without a stack when its circuit breaker refused the call: the cause is known, and was logged when the
 * breaker opened), an unexpected error at error level with its stack (never sent to the client), and deliberate
 * answers (4xx, and the 503s of expected conditions such as a full queue, a read model behind or a coupon being
 * recovered) not at all.
 */
export const failureAnswer = (
  error: unknown,
  mapping: ErrorMapping,
  logger: Logger,
  context: { readonly requestId: string; readonly path: string },
  known: ApiError | null = requestShapeError(error) ?? mapping(error),
): ApiError => {
  const answer = known ?? INTERNAL;
  if (error instanceof CircuitOpenError)
    logger.warn(
      { ...context, dependency: error.dependency, reason: error.message },
      'dependency unavailable',
    );
  else if (error instanceof DependencyUnavailableError)
    logger.warn({ ...context, err: error }, 'dependency unavailable');
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
