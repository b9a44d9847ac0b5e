import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { ApiError } from './api-error';
import { toApiError } from './error-mapping';
import { bodyParserError } from './json-body';
import { requestIdOf } from './request-context';

export const notFound: RequestHandler = (req, _res, next) =>
  next(new ApiError(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`));

/** The one place errors become responses: a JSON body, never a stack trace; dependencies down are logged once. */
export const errorHandler =
  (logger: Logger): ErrorRequestHandler =>
  (error: unknown, req, res, _next) => {
    const known = bodyParserError(error) ?? toApiError(error);
    const answer = known ?? new ApiError(500, 'INTERNAL_ERROR', 'an unexpected error occurred');
    if (answer.status === 503)
      logger.warn({ requestId: requestIdOf(res), err: error, path: req.path }, 'dependency unavailable');
    else if (!known)
      logger.error({ requestId: requestIdOf(res), err: error, path: req.path }, 'unexpected error');
    if (res.headersSent) return;
    res.set(answer.headers);
    res.status(answer.status).json({
      error: {
        code: answer.code,
        message: answer.message,
        ...(answer.details ? { details: answer.details } : {}),
      },
    });
  };
