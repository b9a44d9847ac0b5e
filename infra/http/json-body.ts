import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { ApiError } from './api-error';

/**
 * JSON bodies only, bounded in size. A body in another media type answers 415, a malformed one 400, a huge one 413,
 * all before any handler runs.
 */
export const jsonBody = (limitBytes: number): RequestHandler[] => [
  (req: Request, _res: Response, next: NextFunction) => {
    const hasBody = req.get('content-length') !== undefined && req.get('content-length') !== '0';
    if ((hasBody || req.get('transfer-encoding') !== undefined) && !req.is('application/json'))
      return next(new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'request bodies must be application/json'));
    next();
  },
  express.json({ limit: limitBytes, strict: true, type: 'application/json' }),
];

/** body-parser's errors carry a `type`; turn them into the API's own answers. */
export const bodyParserError = (error: unknown): ApiError | null => {
  if (typeof error !== 'object' || error === null || !('type' in error)) return null;
  switch (error.type) {
    case 'entity.parse.failed':
      return new ApiError(400, 'MALFORMED_JSON', 'the request body is not valid JSON');
    case 'entity.too.large':
      return new ApiError(413, 'PAYLOAD_TOO_LARGE', 'the request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'unsupported body encoding');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new ApiError(400, 'BAD_REQUEST', 'the request body could not be read');
    default:
      return null;
  }
};
