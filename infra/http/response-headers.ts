import type { RequestHandler } from 'express';

/**
 * Sent with every answer of both APIs, the lean seckill path included. Answers carry personal data or tokens, so
 * nothing may store them (RFC 9111 §5.2.2.5; RFC 6749 §5.1 requires it of token answers), and browsers must not
 * sniff a JSON body into something else (Fetch standard, `X-Content-Type-Options`).
 */
export const RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

export const responseHeaders: RequestHandler = (_req, res, next) => {
  res.set(RESPONSE_HEADERS);
  next();
};
