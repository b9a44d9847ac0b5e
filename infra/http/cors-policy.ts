import cors from 'cors';
import type { RequestHandler } from 'express';

/*
 * Cross-origin calls to the write API (Fetch standard, "CORS protocol"): the web app is served by the read API, on
 * another origin, and calls the write API with a bearer token, never a cookie, so no answer allows credentials.
 * Both entry points of the write API (express and the lean seckill path) take their headers from here.
 */

/**
 * Access-Control-Allow-Methods of a preflight: the write API's methods beyond the CORS-safelisted GET, HEAD and POST,
 * which the Fetch standard always allows (POST is listed for clarity).
 */
export const CORS_ALLOWED_METHODS = 'POST, DELETE';
/** The request headers the app may send beyond the CORS-safelisted ones (Access-Control-Allow-Headers). */
export const CORS_ALLOWED_HEADERS = 'authorization, content-type, idempotency-key, x-request-id';
/** The answer headers the app may read beyond the CORS-safelisted ones (Access-Control-Expose-Headers). */
export const CORS_EXPOSED_HEADERS =
  'Location, Retry-After, Idempotent-Replayed, RateLimit, RateLimit-Policy, X-Request-Id';
/** How long a browser may reuse a preflight's answer (Access-Control-Max-Age), in seconds. */
export const CORS_MAX_AGE_SECONDS = 600;

/**
 * Why `entry` is not an origin as a browser sends it in `Origin` (RFC 6454 §6.2: `scheme://host[:port]`, lower case,
 * no default port, no path, no trailing slash; http or https), or null when it is one. Matching is exact, so only
 * the serialised form can ever match.
 */
export const originProblem = (entry: string): string | null => {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return `"${entry}" is not an origin (scheme://host[:port])`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `"${entry}" is not an http or https origin`;
  if (url.origin !== entry)
    return `"${entry}" is not an origin as browsers send it (scheme://host[:port], no path or trailing slash): ${url.origin}`;
  return null;
};

/** The first problem of a list of origins (originProblem), or null when every entry is one. */
export const originListProblem = (origins: readonly string[]): string | null => {
  for (const origin of origins) {
    const problem = originProblem(origin);
    if (problem !== null) return problem;
  }
  return null;
};

/** The read API's own origins on loopback, as `npm start` serves the app: localhost, 127.0.0.1 and [::1]. */
export const loopbackOrigins = (port: number): string[] =>
  ['localhost', '127.0.0.1', '[::1]'].map((host) => `http://${host}:${String(port)}`);

/** Headers of an actual (not preflight) answer to an allowed origin. */
export type CorsHeaders = Readonly<Record<string, string>>;

/**
 * Which origins may call the write API, and what they are answered. `headersFor` is the lean path's: one Map lookup,
 * a header object made once per allowed origin. `middleware` is express's, through the `cors` package: a preflight
 * (OPTIONS with Origin and Access-Control-Request-Method) from an allowed origin is answered 204 at once; any other
 * request from one gets the headers of headersFor and goes on; an OPTIONS that is no preflight goes on untouched (the
 * routes answer it 404, infra/http/routing.ts noOptions), and so does anything from another origin, which the
 * browser then refuses to hand to the page.
 */
export interface CorsPolicy {
  readonly origins: readonly string[];
  /** The headers for an answer to `origin` (the request's `Origin`), or undefined when it is not allowed. */
  headersFor(origin: string | undefined): CorsHeaders | undefined;
  readonly middleware: RequestHandler;
}

/** The policy for these exact origins (validated by the configuration, originListProblem). */
export const corsPolicy = (origins: readonly string[]): CorsPolicy => {
  const byOrigin = new Map<string, CorsHeaders>(
    origins.map((origin) => [
      origin,
      Object.freeze({
        'Access-Control-Allow-Origin': origin,
        Vary: 'Origin',
        'Access-Control-Expose-Headers': CORS_EXPOSED_HEADERS,
      }),
    ]),
  );
  const handle = cors({
    // Reflects only an allowed origin; false makes the package add nothing and call next().
    origin: (origin, callback) => {
      callback(null, origin !== undefined && byOrigin.has(origin) ? origin : false);
    },
    methods: CORS_ALLOWED_METHODS,
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: CORS_MAX_AGE_SECONDS,
    credentials: false,
    preflightContinue: false,
    optionsSuccessStatus: 204,
  });
  return {
    origins,
    headersFor: (origin) => (origin === undefined ? undefined : byOrigin.get(origin)),
    middleware: (req, res, next) => {
      // The package takes every OPTIONS for a preflight; one without Access-Control-Request-Method is not one.
      if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] === undefined) next();
      else handle(req, res, next);
    },
  };
};
