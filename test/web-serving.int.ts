import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { startRoles, type RunningProcess } from '../bin/process';
import { loadConfig } from '../infra/config/config';
import { listen, type Listening } from '../infra/http/listen';
import { createReadApi, type ReadApiDependencies } from '../read-api/app';
import { freePort } from './support/child-process';
import { request, tokenFor } from './support/http-client';
import { createTestEnv, JWT_SECRET, type TestEnv } from './support/test-env';

/**
 * The web app's two sides against real servers: the write API answers cross-origin calls from the app's origin
 * (CORS, both entry points alike) and nobody else's; the read API serves the app (redirect, history fallback,
 * caching, security headers, where the write API is) from a built folder, and says so when there is none.
 */

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A GET with exactly these headers (fetch would not send a Host of our choosing). */
const get = (port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });

const INDEX =
  '<!doctype html><title>CouponKill</title><script type="module" src="/app/assets/x.js"></script>';
const SCRIPT = 'console.log("couponkill");';
const EXPOSED = 'Location, Retry-After, Idempotent-Replayed, RateLimit, RateLimit-Policy, X-Request-Id';

describe('the web app: CORS on the write API, the app served by the read API', () => {
  let env: TestEnv;
  let system: RunningProcess;
  let webRoot: string;
  const ports = { write: 0, read: 0 };
  const writeUrl = () => `http://127.0.0.1:${String(ports.write)}`;
  const appOrigin = () => `http://127.0.0.1:${String(ports.read)}`;
  const admin = tokenFor('admin', 'admin');

  beforeAll(async () => {
    webRoot = await mkdtemp(join(tmpdir(), 'couponkill-web-'));
    await mkdir(join(webRoot, 'assets'));
    await writeFile(join(webRoot, 'index.html'), INDEX);
    await writeFile(join(webRoot, 'assets', 'x.js'), SCRIPT);
    await writeFile(join(webRoot, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    ports.write = await freePort();
    ports.read = await freePort();
    // COUPONKILL_CORS_ORIGINS unset: the read API's own origins on loopback, as `npm start` runs them.
    env = createTestEnv({
      COUPONKILL_WRITE_API_PORT: String(ports.write),
      COUPONKILL_READ_API_PORT: String(ports.read),
    });
    system = await startRoles(
      env.config,
      { writeApi: ports.write, readApi: ports.read, opsPort: 0, webRoot },
      'all-in-one',
    );
  });
  afterAll(async () => {
    await system.stop();
    await env.cleanup();
    await rm(webRoot, { recursive: true, force: true });
  });

  describe('CORS on the write API', () => {
    const preflight = (origin: string, path = '/api/v1/auth/login') =>
      request(writeUrl(), 'OPTIONS', path, {
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization, content-type, idempotency-key',
        },
      });

    it('answers a preflight from an allowed origin 204 with the policy, for every loopback spelling', async () => {
      for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
        const origin = `http://${host}:${String(ports.read)}`;
        const answer = await preflight(origin, '/api/v1/seckill/00000000-0000-4000-8000-000000000000');
        expect(answer.status).toBe(204);
        expect(Object.fromEntries(answer.headers)).toMatchObject({
          'access-control-allow-origin': origin,
          vary: 'Origin',
          'access-control-allow-methods': 'POST, DELETE',
          'access-control-allow-headers': 'authorization, content-type, idempotency-key, x-request-id',
          'access-control-max-age': '600',
        });
        expect(answer.headers.has('access-control-allow-credentials')).toBe(false);
      }
    });

    it('gives another origin no CORS header at all, and OPTIONS that is no preflight stays 404', async () => {
      for (const origin of ['http://evil.example', `http://127.0.0.1:${String(ports.write)}`, 'null']) {
        const refused = await preflight(origin);
        expect(refused.status).toBe(404);
        expect(refused.body.error?.code).toBe('NOT_FOUND');
        expect(refused.headers.has('access-control-allow-origin')).toBe(false);
      }
      const plain = await request(writeUrl(), 'OPTIONS', '/api/v1/auth/login', {
        headers: { Origin: appOrigin() },
      });
      expect([plain.status, plain.body.error?.code]).toEqual([404, 'NOT_FOUND']);
      expect(plain.headers.has('access-control-allow-methods')).toBe(false);
      const bare = await request(writeUrl(), 'OPTIONS', '/api/v1/auth/login');
      expect([bare.status, bare.headers.has('access-control-allow-origin')]).toEqual([404, false]);
    });

    it('adds the same headers on the lean seckill path and on express routes, for an allowed origin only', async () => {
      const created = await request(writeUrl(), 'POST', '/api/v1/coupons', {
        token: admin,
        body: {
          name: 'Web',
          faceValueCents: 100,
          totalStock: 10,
          saleStartsAt: new Date(Date.now() - 60_000).toISOString(),
          saleEndsAt: new Date(Date.now() + 3_600_000).toISOString(),
        },
        headers: { Origin: appOrigin() },
      });
      expect(created.status).toBe(201);
      const couponId = String(created.body.couponId);
      const corsOf = (headers: Headers) => ({
        origin: headers.get('access-control-allow-origin'),
        vary: headers.get('vary'),
        exposed: headers.get('access-control-expose-headers'),
        credentials: headers.get('access-control-allow-credentials'),
      });
      const allowed = { origin: appOrigin(), vary: 'Origin', exposed: EXPOSED, credentials: null };
      expect(corsOf(created.headers)).toEqual(allowed);

      // No body: the lean path (write-api/seckill-fast-path.ts) answers it.
      const placed = await request(writeUrl(), 'POST', `/api/v1/seckill/${couponId}`, {
        token: tokenFor('web-buyer'),
        headers: { Origin: appOrigin(), 'Idempotency-Key': 'web-1' },
      });
      expect(placed.status).toBe(201);
      expect(corsOf(placed.headers)).toEqual(allowed);
      const unauthenticated = await request(writeUrl(), 'POST', `/api/v1/seckill/${couponId}`, {
        headers: { Origin: appOrigin() },
      });
      expect(unauthenticated.status).toBe(401);
      expect(corsOf(unauthenticated.headers)).toEqual(allowed);
      const elsewhere = await request(writeUrl(), 'POST', `/api/v1/seckill/${couponId}`, {
        token: tokenFor('web-buyer-2'),
        headers: { Origin: 'http://evil.example' },
      });
      expect(elsewhere.status).toBe(201);
      expect(corsOf(elsewhere.headers)).toEqual({
        origin: null,
        vary: null,
        exposed: null,
        credentials: null,
      });
      const none = await request(writeUrl(), 'POST', `/api/v1/seckill/${couponId}`, {
        token: tokenFor('web-buyer-3'),
      });
      expect(none.headers.get('access-control-allow-origin')).toBeNull();

      // An express route: the login, right or wrong.
      const login = await request(writeUrl(), 'POST', '/api/v1/auth/login', {
        body: { username: 'admin', password: 'admin-password-123' },
        headers: { Origin: `http://localhost:${String(ports.read)}` },
      });
      expect(login.status).toBe(200);
      expect(corsOf(login.headers)).toEqual({ ...allowed, origin: `http://localhost:${String(ports.read)}` });
      const wrong = await request(writeUrl(), 'POST', '/api/v1/auth/login', {
        body: { username: 'admin', password: 'not-the-password' },
        headers: { Origin: appOrigin() },
      });
      expect(wrong.status).toBe(401);
      expect(corsOf(wrong.headers)).toEqual(allowed);
      const foreign = await request(writeUrl(), 'POST', '/api/v1/auth/login', {
        body: { username: 'admin', password: 'admin-password-123' },
        headers: { Origin: 'https://evil.example' },
      });
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('the app on the read API', () => {
    const csp = (writeOrigin: string) =>
      `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ${writeOrigin}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'`;

    it('redirects / and /app to /app/', async () => {
      for (const path of ['/', '/app']) {
        const answer = await get(ports.read, path);
        expect([answer.status, answer.headers.location]).toEqual([302, '/app/']);
      }
    });

    it('serves index.html at /app/ and for every deep link, revalidated, with its security headers', async () => {
      for (const path of ['/app/', '/app/coupons/00000000-0000-4000-8000-000000000000', '/app/orders?x=1']) {
        const answer = await get(ports.read, path, { Host: `localhost:${String(ports.read)}` });
        expect(answer.status).toBe(200);
        expect(answer.body).toBe(INDEX);
        expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(answer.headers).toMatchObject({
          'cache-control': 'no-cache',
          'content-security-policy': csp(`http://localhost:${String(ports.write)}`),
          'referrer-policy': 'no-referrer',
          'x-frame-options': 'DENY',
          'x-content-type-options': 'nosniff',
        });
      }
      // Revalidated by date: the APIs make no ETags (app 'etag' off), and sendFile follows the app.
      const revalidated = await get(ports.read, '/app/coupons', {
        'If-Modified-Since': String((await get(ports.read, '/app/')).headers['last-modified']),
      });
      expect(revalidated.status).toBe(304);
    });

    it('serves hashed assets immutable, other files revalidated, and a missing asset 404', async () => {
      const script = await get(ports.read, '/app/assets/x.js');
      expect([script.status, script.body]).toEqual([200, SCRIPT]);
      expect(script.headers['content-type']).toMatch(/^text\/javascript/);
      expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(script.headers['content-security-policy']).toBeDefined();
      const icon = await get(ports.read, '/app/favicon.svg');
      expect([icon.status, icon.headers['cache-control']]).toEqual([200, 'no-cache']);
      const missing = await get(ports.read, '/app/assets/gone.js');
      expect(missing.status).toBe(404);
      expect((JSON.parse(missing.body) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
      const escape = await get(ports.read, '/app/../package.json');
      expect(escape.body).not.toContain('"couponkill"');
    });

    it('tells the app where the write API is: the page host on the write port', async () => {
      const cases: [string | undefined, string][] = [
        [`localhost:${String(ports.read)}`, `http://localhost:${String(ports.write)}`],
        ['Shop.Example.COM', `http://shop.example.com:${String(ports.write)}`],
        [`[::1]:${String(ports.read)}`, `http://[::1]:${String(ports.write)}`],
        ['10.1.2.3:8081', `http://10.1.2.3:${String(ports.write)}`],
        ['evil.example/path', `http://localhost:${String(ports.write)}`],
        ['a b', `http://localhost:${String(ports.write)}`],
      ];
      for (const [host, writeApiUrl] of cases) {
        const answer = await get(ports.read, '/app/config.json', host === undefined ? {} : { Host: host });
        expect(answer.status).toBe(200);
        expect(answer.headers['cache-control']).toBe('no-store');
        expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(JSON.parse(answer.body)).toEqual({ writeApiUrl });
      }
    });

    it('is public and outside the per-buyer quota', async () => {
      const answers = await Promise.all(
        Array.from({ length: 30 }, () => get(ports.read, '/app/config.json')),
      );
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
      expect(answers[0]?.headers.ratelimit).toBeUndefined();
    });
  });

  describe('a read API on its own', () => {
    const servers: Listening[] = [];
    afterAll(async () => {
      await Promise.all(servers.map((server) => server.close()));
    });
    const serve = async (web: ReadApiDependencies['web']): Promise<number> => {
      const app = createReadApi({
        registry: new Registry(),
        logger: pino({ level: 'silent' }),
        web,
      } as unknown as ReadApiDependencies);
      const server = await listen(app, { port: 0, host: '127.0.0.1' });
      servers.push(server);
      return Number(new URL(server.url).port);
    };

    it('tells the app the configured write API and allows only its origin to be called', async () => {
      const { webApp } = loadConfig({
        COUPONKILL_JWT_SECRET: JWT_SECRET,
        COUPONKILL_PUBLIC_WRITE_API_URL: 'https://api.couponkill.example/',
        COUPONKILL_CORS_ORIGINS: 'https://shop.couponkill.example',
      });
      expect(webApp.corsOrigins).toEqual(['https://shop.couponkill.example']);
      const port = await serve({
        root: webRoot,
        publicWriteApiUrl: webApp.publicWriteApiUrl,
        writeApiPort: 8080,
      });
      const config = await get(port, '/app/config.json', { Host: 'shop.couponkill.example' });
      expect(JSON.parse(config.body)).toEqual({ writeApiUrl: 'https://api.couponkill.example' });
      const page = await get(port, '/app/');
      expect(page.headers['content-security-policy']).toContain(
        "connect-src 'self' https://api.couponkill.example;",
      );
    });

    it('answers 404 NOT_FOUND saying so when the app is not built', async () => {
      const port = await serve({
        root: join(webRoot, 'not-built'),
        publicWriteApiUrl: null,
        writeApiPort: 8080,
      });
      for (const path of ['/app/', '/app/coupons/x']) {
        const answer = await get(port, path);
        expect(answer.status).toBe(404);
        expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(JSON.parse(answer.body)).toEqual({
          error: { code: 'NOT_FOUND', message: 'the web app is not built: run npm run build' },
        });
      }
    });
  });
});
