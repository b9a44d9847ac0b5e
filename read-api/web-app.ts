import { relative, sep } from 'node:path';
import express, { type Request, type RequestHandler, type Router } from 'express';
import { ApiError } from '../infra/http/api-error';
import { exactRouter, recordRoute } from '../infra/http/routing';
import { originOf, sameHostWriteApiUrl } from './write-api-url';

/** How the read API serves the web app (README, "Web app"). */
export interface WebAppSettings {
  /** The folder `vite build` wrote: `index.html`, and hashed files under `assets/`. */
  readonly root: string;
  /** The write API's URL as browsers reach it; null: the page's host on `writeApiPort`. */
  readonly publicWriteApiUrl: string | null;
  readonly writeApiPort: number;
}

/** Where the app lives; every path under it that is no file is the app's own (client-side) route. */
export const WEB_APP_PATH = '/app';
/** The metric label of every file answer under WEB_APP_PATH: one series, whatever the paths asked. */
const FILES_ROUTE = `${WEB_APP_PATH}/*`;
/** Hashed names change with their content, so a browser may keep them a year unasked (RFC 8246). */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html and unhashed files: kept, but revalidated (ETag, Last-Modified) before each use (RFC 9111 §5.2.2.4). */
const REVALIDATE = 'no-cache';
const NOT_BUILT = new ApiError(404, 'NOT_FOUND', 'the web app is not built: run npm run build');

/**
 * The app's Content-Security-Policy (CSP Level 3): its own scripts, styles and images only, calls to itself and the
 * write API, no plug-ins, no <base>, no framing, forms only to itself.
 */
const contentSecurityPolicy = (writeApiOrigin: string): string =>
  [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${writeApiOrigin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');

/**
 * The web app's routes, public and outside the per-buyer quota (no token, no personal data): `GET /` and
 * `GET /app` redirect (302) to `/app/`; `GET /app/config.json` tells the app where the write API is
 * (`{writeApiUrl}`, `no-store`); files of `root` are served under `/app/` (`assets/` immutable, the rest `no-cache`),
 * and any other `GET /app/…` is `index.html` (history fallback: a deep link such as `/app/coupons/<id>` loads the
 * app, which routes it). A missing file under `/app/assets/` is a 404, never the page (a script URL answered with
 * HTML only confuses); without `index.html` every page answers `404 NOT_FOUND` saying the app is not built.
 */
export const webAppRoutes = (settings: WebAppSettings): Router => {
  const router = exactRouter();
  const fixedUrl = settings.publicWriteApiUrl;
  const writeApiUrl = (req: Request): string =>
    fixedUrl ?? sameHostWriteApiUrl(req.protocol, req.headers.host, settings.writeApiPort);
  const fixedPolicy = fixedUrl === null ? null : contentSecurityPolicy(originOf(fixedUrl));

  const redirect: RequestHandler = (_req, res) => {
    res.redirect(302, `${WEB_APP_PATH}/`);
  };
  const label: RequestHandler = (_req, res, next) => {
    res.locals.route = FILES_ROUTE;
    next();
  };
  const securityHeaders: RequestHandler = (req, res, next) => {
    res.set({
      'Content-Security-Policy': fixedPolicy ?? contentSecurityPolicy(writeApiUrl(req)),
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
    });
    next();
  };
  const files = express.static(settings.root, {
    index: false,
    redirect: false,
    fallthrough: true,
    cacheControl: false,
    setHeaders: (res, path) => {
      const inAssets = relative(settings.root, path).startsWith(`assets${sep}`);
      res.setHeader('Cache-Control', inAssets ? IMMUTABLE : REVALIDATE);
    },
  });
  const page: RequestHandler = (req, res, next) => {
    if (req.path.startsWith(`${WEB_APP_PATH}/assets/`)) {
      next();
      return;
    }
    res.sendFile(
      'index.html',
      { root: settings.root, cacheControl: false, headers: { 'Cache-Control': REVALIDATE } },
      (error?: unknown) => {
        if (!error || res.headersSent) return;
        next((error as { status?: unknown }).status === 404 ? NOT_BUILT : error);
      },
    );
  };

  router.get('/', recordRoute, redirect);
  router.get(WEB_APP_PATH, recordRoute, redirect);
  router.get(`${WEB_APP_PATH}/config.json`, recordRoute, (req, res) => {
    res.json({ writeApiUrl: writeApiUrl(req) });
  });
  router.use(WEB_APP_PATH, label, securityHeaders, files);
  router.get(`${WEB_APP_PATH}/{*path}`, label, page);
  return router;
};
