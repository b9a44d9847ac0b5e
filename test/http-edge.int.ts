import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import jwt from 'jsonwebtoken';
import { envOf, freePort, startLoggedCliServer, type LoggedServer } from './support/child-process';
import { request, tokenFor } from './support/http-client';
import { httpBytes, rawRequest } from './support/raw-http';
import { createTestEnv, JWT_SECRET, type TestEnv } from './support/test-env';

/**
 * The HTTP edge of both APIs, the lean seckill path included, against the real all-in-one process: malformed
 * requests get their documented 4xx (never a 5xx, never an error-level log), bearer schemes are case-insensitive,
 * tokens must carry a bounded lifetime, every answer carries the security headers, and metric labels come from a
 * bounded set while the operational endpoints live on the ops listener only.
 */
/** Every route template of both APIs: the only values the route label may take besides `unmatched`. */
const ROUTE_TEMPLATES = [
  '/healthz',
  '/openapi.json',
  '/api/v1/users',
  '/api/v1/auth/login',
  '/api/v1/coupons',
  '/api/v1/coupons/:couponId',
  '/api/v1/coupons/:couponId/stock',
  '/api/v1/coupons/:couponId/close',
  '/api/v1/seckill/:couponId',
  '/api/v1/orders/:orderId',
  '/api/v1/orders/:orderId/cancel',
  '/api/v1/orders/:orderId/use',
  '/api/v1/users/:userId/orders',
  '/api/v1/users/:userId/coupon-stats',
  '/api/v1/projections/lag',
  '/api/v1/notifications',
  '/api/v1/notifications/unread-count',
  '/api/v1/notifications/stream',
  '/api/v1/notifications/stream-tickets',
  '/api/v1/notifications/read',
  '/api/v1/notifications/:notificationId/read',
];

describe('the HTTP edge (write-api, read-api, lean seckill path)', () => {
  let env: TestEnv;
  let server: LoggedServer;
  const ports = { write: 0, read: 0, ops: 0 };
  const url = (port: number) => `http://127.0.0.1:${String(port)}`;
  let couponId: string;
  const admin = tokenFor('admin', 'admin');
  const buyer = tokenFor('edge-buyer');

  beforeAll(async () => {
    env = createTestEnv();
    ports.write = await freePort();
    ports.read = await freePort();
    ports.ops = await freePort();
    server = await startLoggedCliServer(
      ['all-in-one'],
      envOf(env.config, {
        COUPONKILL_READ_DATABASE_URL: env.config.read.databaseUrl,
        COUPONKILL_WRITE_API_PORT: String(ports.write),
        COUPONKILL_READ_API_PORT: String(ports.read),
        COUPONKILL_OPS_PORT: String(ports.ops),
        COUPONKILL_CONSUMER_NAME: `edge-${env.keyPrefix}`,
        COUPONKILL_LOG_LEVEL: 'warn',
      }),
      `${url(ports.ops)}/readyz`,
    );
    const created = await request(url(ports.write), 'POST', '/api/v1/coupons', {
      token: admin,
      body: {
        name: 'Edge',
        faceValueCents: 100,
        totalStock: 1000,
        perUserLimit: 100,
        saleStartsAt: new Date(Date.now() - 60_000).toISOString(),
        saleEndsAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    couponId = String(created.body.couponId);
  });
  afterAll(async () => {
    await server.stop();
    await env.cleanup();
  });

  const errorLogs = () => server.logs().filter((line) => Number(line.level) >= 50);

  type Case = readonly [
    name: string,
    api: 'write' | 'read',
    bytes: () => Buffer,
    status: number,
    code?: string | null,
  ];
  const json = { 'Content-Type': 'application/json' };
  const auth = () => ({ Authorization: `Bearer ${buyer}` });
  const coupon =
    '{"name":"x","faceValueCents":1,"totalStock":1,"saleStartsAt":"2030-01-01T00:00:00Z","saleEndsAt":"2031-01-01T00:00:00Z"}';
  const cases: Case[] = [
    [
      'broken escape in the seckill path, no token',
      'write',
      () => httpBytes('POST', '/api/v1/seckill/%E0%A4%A'),
      400,
      'MALFORMED_URL',
    ],
    [
      'broken escape in the seckill path, with a token',
      'write',
      () => httpBytes('POST', '/api/v1/seckill/%E0%A4%A', auth()),
      400,
      'MALFORMED_URL',
    ],
    [
      'broken escape in an order path',
      'write',
      () => httpBytes('POST', '/api/v1/orders/%FF/cancel', auth()),
      400,
      'MALFORMED_URL',
    ],
    [
      'lone % in a coupon path',
      'write',
      () => httpBytes('POST', '/api/v1/coupons/%/stock', { ...auth(), ...json }, '{"quantity":1}'),
      400,
      'MALFORMED_URL',
    ],
    [
      'broken escape in a read path',
      'read',
      () => httpBytes('GET', '/api/v1/orders/%FF', auth()),
      400,
      'MALFORMED_URL',
    ],
    [
      'broken escape in a user path',
      'read',
      () => httpBytes('GET', '/api/v1/users/%E0%A4%A/orders', auth()),
      400,
      'MALFORMED_URL',
    ],
    [
      'broken escape in a query',
      'read',
      () => httpBytes('GET', '/api/v1/coupons?limit=%ZZ', auth()),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'a query parameter given twice',
      'read',
      () => httpBytes('GET', '/api/v1/coupons?limit=1&limit=2', auth()),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'a user id outside ASCII',
      'read',
      () => httpBytes('GET', '/api/v1/users/%D0%B0dmin/orders', auth()),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'a position too long',
      'read',
      () => httpBytes('GET', `/api/v1/coupons/${couponId}?minPosition=${'9'.repeat(30)}`, auth()),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'gzip that is not gzip',
      'write',
      () => httpBytes('POST', '/api/v1/coupons', { ...auth(), ...json, 'Content-Encoding': 'gzip' }, coupon),
      400,
      'MALFORMED_BODY',
    ],
    [
      'deflate that is not deflate',
      'write',
      () =>
        httpBytes(
          'POST',
          '/api/v1/auth/login',
          { ...json, 'Content-Encoding': 'deflate' },
          '{"username":"abc","password":"12345678"}',
        ),
      400,
      'MALFORMED_BODY',
    ],
    [
      'br that is not br',
      'write',
      () =>
        httpBytes(
          'POST',
          '/api/v1/users',
          { ...json, 'Content-Encoding': 'br' },
          '{"username":"abc","password":"12345678"}',
        ),
      400,
      'MALFORMED_BODY',
    ],
    [
      'truncated gzip',
      'write',
      () =>
        httpBytes(
          'POST',
          '/api/v1/users',
          { ...json, 'Content-Encoding': 'gzip' },
          gzipSync('{"username":"abc","password":"12345678"}').subarray(0, 12),
        ),
      400,
      'MALFORMED_BODY',
    ],
    [
      'an unknown content encoding',
      'write',
      () => httpBytes('POST', '/api/v1/users', { ...json, 'Content-Encoding': 'compress' }, '{}'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a body in utf-16',
      'write',
      () => httpBytes('POST', '/api/v1/users', { 'Content-Type': 'application/json; charset=utf-16' }, '{}'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a form body',
      'write',
      () =>
        httpBytes('POST', '/api/v1/users', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'a=b'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    ['JSON null', 'write', () => httpBytes('POST', '/api/v1/users', json, 'null'), 400, 'MALFORMED_JSON'],
    ['a JSON array', 'write', () => httpBytes('POST', '/api/v1/users', json, '[]'), 400, 'VALIDATION_FAILED'],
    [
      'JSON nested 5000 deep',
      'write',
      () => httpBytes('POST', '/api/v1/users', json, `${'['.repeat(5000)}${']'.repeat(5000)}`),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'a body over the limit',
      'write',
      () => httpBytes('POST', '/api/v1/users', json, `{"username":"${'a'.repeat(20_000)}"}`),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'a body on the lean path',
      'write',
      () => httpBytes('POST', `/api/v1/seckill/${couponId}`, { ...auth(), ...json }, '{"x":1}'),
      201,
    ],
    [
      'upper-case path',
      'write',
      () => httpBytes('POST', `/API/V1/SECKILL/${couponId}`, auth()),
      404,
      'NOT_FOUND',
    ],
    [
      'mixed-case path',
      'read',
      () => httpBytes('GET', `/api/v1/Coupons/${couponId}`, auth()),
      404,
      'NOT_FOUND',
    ],
    [
      'a trailing slash',
      'write',
      () => httpBytes('POST', `/api/v1/seckill/${couponId}/`, auth()),
      404,
      'NOT_FOUND',
    ],
    [
      'an unknown method',
      'write',
      () => httpBytes('PATCH', `/api/v1/seckill/${couponId}`, auth()),
      404,
      'NOT_FOUND',
    ],
    [
      'OPTIONS on a write route',
      'write',
      () => httpBytes('OPTIONS', `/api/v1/orders/${couponId}/cancel`),
      404,
      'NOT_FOUND',
    ],
    ['OPTIONS on a read route', 'read', () => httpBytes('OPTIONS', '/api/v1/coupons'), 404, 'NOT_FOUND'],
    ['PROPFIND', 'read', () => httpBytes('PROPFIND', '/api/v1/coupons', auth()), 404, 'NOT_FOUND'],
    ['readiness on a public port', 'write', () => httpBytes('GET', '/readyz'), 404, 'NOT_FOUND'],
    ['metrics on a public port', 'read', () => httpBytes('GET', '/metrics'), 404, 'NOT_FOUND'],
    ['a dot segment', 'write', () => httpBytes('GET', '/api/v1/../metrics'), 404, 'NOT_FOUND'],
    [
      'a tab instead of a space after Bearer',
      'write',
      () => httpBytes('POST', `/api/v1/seckill/${couponId}`, { Authorization: `Bearer\t${buyer}` }),
      401,
      'UNAUTHENTICATED',
    ],
    [
      'Basic credentials',
      'read',
      () => httpBytes('GET', '/api/v1/coupons', { Authorization: 'Basic YTpi' }),
      401,
      'UNAUTHENTICATED',
    ],
    [
      'a bearer token of junk',
      'write',
      () => httpBytes('POST', `/api/v1/seckill/${couponId}`, { Authorization: 'Bearer %%%' }),
      401,
      'UNAUTHENTICATED',
    ],
    [
      'an idempotency key outside ASCII',
      'write',
      () => httpBytes('POST', `/api/v1/seckill/${couponId}`, { ...auth(), 'Idempotency-Key': 'k\u00e9y' }),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'a request id of junk',
      'write',
      () => httpBytes('POST', `/api/v1/seckill/${couponId}`, { 'X-Request-Id': '\u00ff'.repeat(300) }),
      401,
      'UNAUTHENTICATED',
    ],
  ];

  const table = cases.map(([name, api, bytes, status, code]) => ({
    name,
    api,
    bytes,
    status,
    code: code ?? null,
  }));
  it.each(table)('$name ($api API) → $status', async ({ api, bytes, status, code }) => {
    const response = await rawRequest(api === 'write' ? ports.write : ports.read, bytes());
    expect(response.status).toBe(status);
    if (code) expect((JSON.parse(response.body) as { error: { code: string } }).error.code).toBe(code);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('answers what Node refuses itself with a 4xx too, and never logged an error for any of it', async () => {
    const hugeHeader = await rawRequest(
      ports.write,
      httpBytes('GET', '/healthz', { 'X-Junk': 'a'.repeat(20_000) }),
    );
    expect(hugeHeader.status).toBe(431);
    const badChunk = await rawRequest(
      ports.write,
      httpBytes(
        'POST',
        '/api/v1/users',
        { ...json, 'Transfer-Encoding': 'chunked' },
        'zz\r\n{}\r\n0\r\n\r\n',
      ),
    );
    expect(badChunk.status).toBe(400);
    const shortBody = await rawRequest(
      ports.write,
      httpBytes('POST', '/api/v1/users', { ...json, 'Content-Length': '100' }, '{"username":'),
    ).catch(() => ({ status: 0 }));
    expect(shortBody.status === 0 || (shortBody.status >= 400 && shortBody.status < 500)).toBe(true);
    expect(errorLogs()).toEqual([]);
  });

  it('takes the bearer scheme in any case and with several spaces (RFC 9110 §11.1, RFC 6750 §2.1)', async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer', 'bEaReR'])
      for (const gap of [' ', '  ']) {
        const authorization = `${scheme}${gap}${tokenFor(`case-${scheme}-${gap.length}`)}`;
        const fast = await rawRequest(
          ports.write,
          httpBytes('POST', `/api/v1/seckill/${couponId}`, { Authorization: authorization }),
        );
        expect(fast.status).toBe(201);
        const viaExpress = await rawRequest(
          ports.write,
          httpBytes('POST', `/api/v1/seckill/${couponId}`, { Authorization: authorization, ...json }, '{}'),
        );
        expect(viaExpress.status).toBe(201);
        const read = await rawRequest(
          ports.read,
          httpBytes('GET', '/api/v1/coupons?limit=1', { Authorization: authorization }),
        );
        expect(read.status).toBe(200);
      }
  });

  it('refuses tokens without exp or iat, living longer than the configured lifetime, or issued in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>) =>
      jwt.sign(
        { role: 'user', sub: 'lifetime', iss: 'couponkill', aud: 'couponkill', ...claims },
        JWT_SECRET,
        // jsonwebtoken drops a payload's iat under noTimestamp, and adds one without it.
        { algorithm: 'HS256', noTimestamp: !('iat' in claims) },
      );
    const refused = [
      sign({ iat: now }),
      sign({ exp: now + 600 }),
      sign({ iat: now, exp: now + 100 * 365 * 86_400 }),
      sign({ iat: now + 3600, exp: now + 4000 }),
      sign({ iat: now - 7200, exp: now - 3600 }),
    ];
    for (const token of refused) {
      for (const [port, method, path] of [
        [ports.write, 'POST', `/api/v1/seckill/${couponId}`],
        [ports.write, 'POST', `/api/v1/orders/${couponId}/use`],
        [ports.read, 'GET', '/api/v1/coupons'],
      ] as const) {
        const response = await rawRequest(
          port,
          httpBytes(method, path, { Authorization: `Bearer ${token}` }),
        );
        expect([
          response.status,
          (JSON.parse(response.body) as { error: { code: string } }).error.code,
        ]).toEqual([401, 'UNAUTHENTICATED']);
      }
    }
    const fine = await request(url(ports.read), 'GET', '/api/v1/coupons', {
      token: sign({ iat: now, exp: now + 600 }),
    });
    expect(fine.status).toBe(200);
  });

  it('marks the login answer no-store, and every answer nosniff', async () => {
    const registered = await request(url(ports.write), 'POST', '/api/v1/users', {
      body: { username: 'edge-user', password: 'edge-password' },
    });
    expect(registered.status).toBe(201);
    const login = await request(url(ports.write), 'POST', '/api/v1/auth/login', {
      body: { username: 'edge-user', password: 'edge-password' },
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('cache-control')).toBe('no-store');
    for (const response of [
      login,
      registered,
      await request(url(ports.read), 'GET', '/api/v1/projections/lag'),
    ])
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('keeps /metrics bounded whatever paths, methods and answers callers choose', async () => {
    const series = async () =>
      (await (await fetch(`${url(ports.ops)}/metrics`)).text())
        .split('\n')
        .filter((line) => line.startsWith('http_')).length;
    const spellings = Array.from({ length: 2200 }, (_, i) =>
      `/api/v1/seckill/${couponId}`.replace(/[a-z]/g, (c, j: number) =>
        (i >> (j % 11)) & 1 ? c.toUpperCase() : c,
      ),
    );
    const methods = ['GET', 'PUT', 'DELETE', 'OPTIONS', 'PROPFIND', 'LOCK', 'MKCOL', 'SEARCH'];
    const send = async (paths: readonly string[]) => {
      for (let i = 0; i < paths.length; i += 200)
        await Promise.all(
          paths.slice(i, i + 200).map((path) => request(url(ports.write), 'POST', path, { token: buyer })),
        );
      await Promise.all(
        methods.map((method) =>
          rawRequest(ports.write, httpBytes(method, `/api/v1/seckill/${couponId}`, auth())),
        ),
      );
    };
    await send(spellings.slice(0, 200));
    const before = await series();
    await send(spellings.slice(200));
    // Two thousand more spellings and methods: not one more series.
    expect(await series()).toBe(before);
    // Errors and successes of one route share its label.
    await request(url(ports.write), 'POST', `/api/v1/seckill/${couponId}`, {
      token: buyer,
      headers: { 'Idempotency-Key': 'bad key' },
    });
    await request(url(ports.write), 'POST', `/api/v1/coupons/${couponId}/stock`, {
      token: buyer,
      body: { quantity: 1 },
    });
    await request(url(ports.write), 'POST', `/api/v1/coupons/${couponId}/stock`, {
      token: admin,
      body: { quantity: 1 },
    });
    const metrics = await (await fetch(`${url(ports.ops)}/metrics`)).text();
    const routes = new Set(
      [...metrics.matchAll(/couponkill_http_requests_total\{[^}]*route="([^"]+)"/g)].map((m) => m[1]),
    );
    for (const route of routes) expect([...ROUTE_TEMPLATES, 'unmatched']).toContain(route);
    expect(metrics).toMatch(
      /couponkill_http_requests_total\{method="POST",route="\/api\/v1\/coupons\/:couponId\/stock",status="403"/,
    );
    expect(metrics).toMatch(
      /couponkill_http_requests_total\{method="POST",route="\/api\/v1\/coupons\/:couponId\/stock",status="200"/,
    );
    expect(metrics).toMatch(/couponkill_http_requests_total\{method="OTHER",route="unmatched"/);
  });

  it('serves readiness, metrics and lag on the ops listener, bound to 127.0.0.1 by default', async () => {
    const ready = await request(url(ports.ops), 'GET', '/readyz');
    expect(ready.body).toMatchObject({
      status: 'ready',
      checks: { redis: { status: 'up' }, readShards: { status: 'up' } },
    });
    expect((await request(url(ports.ops), 'GET', '/api/v1/projections/lag')).body).toHaveProperty('maxLag');
    const listening = execFileSync('ss', ['-Hltn', `sport = :${String(ports.ops)}`], { encoding: 'utf8' });
    expect(listening.trim().split(/\s+/)[3]).toBe(`127.0.0.1:${String(ports.ops)}`);
  });
});
