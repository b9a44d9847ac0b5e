import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { ApiError } from './api-error';

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;

/**
 * JSON bodies only, in UTF-8, bounded in size. A body in another media type answers 415, a malformed one 400, a huge one 413,
 * all before any handler runs.
 */
export const jsonBody = (limitBytes: number): RequestHandler[] => [
  (req: Request, _res: Response, next: NextFunction) => {
    const hasBody = req.get('content-length') !== undefined && req.get('content-length') !== '0';
    if (!hasBody && req.get('transfer-encoding') === undefined) return next();
    if (!req.is('application/json'))
      return next(new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'request bodies must be application/json'));
    const charset = CHARSET.exec(req.get('content-type') ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
      return next(new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'JSON bodies must be UTF-8 (RFC 8259 §8.1)'));
    next();
  },
  express.json({ limit: limitBytes, strict: true, type: 'application/json' }),
];

const statusOf = (error: object): number | null => {
  const status = 'status' in error ? error.status : 'statusCode' in error ? error.statusCode : undefined;
  return typeof status === 'number' && Number.isInteger(status) ? status : null;
};

/**
 * What the HTTP machinery itself refuses, before any handler: body-parser's errors (they carry a `type`), a body whose
 * `Content-Encoding` does not match its bytes (zlib's errors, status 400), and a path with a malformed percent-escape
 * (the router's URIError, status 400). Any other error carrying a 4xx status (http-errors) keeps its status. Each
 * becomes a deliberate 4xx answer; null for everything else.
 */
export const requestShapeError = (error: unknown): ApiError | null => {
  if (error instanceof ApiError) return error;
  if (typeof error !== 'object' || error === null) return null;
  const type = 'type' in error && typeof error.type === 'string' ? error.type : undefined;
  switch (type) {
    case 'entity.parse.failed':
      return new ApiError(400, 'MALFORMED_JSON', 'the request body is not valid JSON');
    case 'entity.too.large':
      return new ApiError(413, 'PAYLOAD_TOO_LARGE', 'the request body is too large');
    case 'encoding.unsupported':
      return new ApiError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'unsupported Content-Encoding (identity, gzip, deflate, br)',
      );
    case 'charset.unsupported':
      return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'unsupported body charset (utf-8 only)');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new ApiError(400, 'BAD_REQUEST', 'the request body could not be read');
  }
  const status = statusOf(error);
  if (status === null || status < 400 || status > 499) return null;
  if (error instanceof URIError)
    return new ApiError(400, 'MALFORMED_URL', 'the path holds a malformed percent-escape');
  // zlib's errors (gzip, deflate, br) carry an errno: the bytes do not decode as their Content-Encoding says.
  if ('errno' in error && typeof error.errno === 'number')
    return new ApiError(400, 'MALFORMED_BODY', 'the request body does not match its Content-Encoding');
  if (status === 413) return new ApiError(413, 'PAYLOAD_TOO_LARGE', 'the request body is too large');
  if (status === 415) return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'unsupported request body');
  return new ApiError(status, 'BAD_REQUEST', 'the request could not be read');
};
