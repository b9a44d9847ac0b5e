import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Express } from 'express';
import pino from 'pino';
import { Registry } from 'prom-client';
import { startRoles, type RunningProcess } from '../bin/process';
import { corsPolicy } from '../infra/http/cors-policy';
import { errorCodesOf, openApiPath, type OpenApiDocument } from '../infra/http/openapi';
import { createReadApi, type ReadApiDependencies } from '../read-api/app';
import { readApiDocument } from '../read-api/contract/openapi';
import { WEB_APP_PATH } from '../read-api/web-app';
import { createWriteApiApp, type WriteApiDependencies } from '../write-api/app';
import { WRITE_API_OPERATIONS, writeApiDocument } from '../write-api/contract/openapi';
import type { SeckillAnswer } from '../write-api/seckill-answer';
import { request, servedContract, tokenFor } from './support/http-client';
import { createTestEnv, type TestEnv } from './support/test-env';

/**
 * The HTTP contract: each API serves at /openapi.json the document its code generates, the document has exactly the
 * routes express routes, and the conformance check every integration test's answers go through
 * (test/support/http-client.ts) does catch answers the document does not describe. The documents' lint is CI's
 * (scripts/lint-openapi.sh).
 */

interface Layer {
  readonly route?: { readonly path: string; readonly methods: Readonly<Record<string, boolean>> };
  readonly handle: { readonly stack?: readonly Layer[] };
  readonly rawPath?: unknown;
}

const join = (prefix: string, path: string): string => (path === '/' && prefix ? prefix : `${prefix}${path}`);

/** `METHOD /template` of every route an express app routes, mounted routers included. */
const routesOf = (stack: readonly Layer[], prefix = ''): string[] =>
  stack.flatMap((layer) => {
    if (layer.route) {
      const path = join(prefix, layer.route.path);
      return Object.keys(layer.route.methods)
        .filter((method) => method !== '_all')
        .map((method) => `${method.toUpperCase()} ${openApiPath(path)}`);
    }
    if (layer.handle.stack && typeof layer.rawPath === 'string')
      return routesOf(layer.handle.stack, join(prefix, layer.rawPath === '/' ? '' : layer.rawPath));
    return [];
  });

const routesOfApp = (app: Express): string[] =>
  routesOf((app as unknown as { router: { stack: Layer[] } }).router.stack);

const operationsOf = (document: OpenApiDocument): string[] =>
  Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`),
  );

describe('the HTTP contract (OpenAPI)', () => {
  let env: TestEnv;
  let app: RunningProcess;
  let writeUrl: string;
  let readUrl: string;

  beforeAll(async () => {
    env = createTestEnv();
    app = await startRoles(env.config, { writeApi: 0, readApi: 0, opsPort: 0 }, 'all-in-one');
    writeUrl = app.urls.writeApi ?? '';
    readUrl = app.urls.readApi ?? '';
  });
  afterAll(async () => {
    await app.stop();
    await env.cleanup();
  });

  it('serves at /openapi.json the document the code generates, and the CLI prints the same', async () => {
    const cli = (api: string) =>
      JSON.parse(
        execFileSync('node', [resolve(__dirname, '../bin/couponkill.js'), 'openapi', '--api', api], {
          encoding: 'utf8',
        }),
      ) as unknown;
    for (const [url, document, api] of [
      [writeUrl, writeApiDocument(), 'write'],
      [readUrl, readApiDocument(), 'read'],
    ] as const) {
      const served = await request(url, 'GET', '/openapi.json');
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(served.body).toEqual(JSON.parse(JSON.stringify(document)));
      expect(cli(api)).toEqual(served.body);
    }
  });

  it('documents exactly the routes express routes, on both APIs', () => {
    const registry = new Registry();
    const logger = pino({ level: 'silent' });
    const write = createWriteApiApp(
      { registry, logger, bodyLimitBytes: 1024, cors: corsPolicy([]) } as unknown as WriteApiDependencies,
      (() => Promise.reject(new Error('not called'))) satisfies SeckillAnswer,
    );
    const read = createReadApi({
      registry,
      logger,
      web: { root: '/nonexistent', publicWriteApiUrl: null, writeApiPort: 8080 },
    } as unknown as ReadApiDependencies);
    // The web app's pages and files (read-api/web-app.ts) are no API operation: `/` redirects to them.
    const webApp = (route: string) => route === 'GET /' || route.startsWith(`GET ${WEB_APP_PATH}`);
    expect(routesOfApp(write).sort()).toEqual(operationsOf(writeApiDocument()).sort());
    expect(
      routesOfApp(read)
        .filter((route) => !webApp(route))
        .sort(),
    ).toEqual(operationsOf(readApiDocument()).sort());
    expect(routesOfApp(read).filter(webApp).sort()).toEqual([
      'GET /',
      'GET /app',
      'GET /app/config.json',
      expect.stringMatching(/^GET \/app\//),
    ]);
    // Sanity: the walk finds nested routers.
    expect(routesOfApp(write)).toContain('POST /api/v1/coupons/{couponId}/stock');
    expect(routesOfApp(read)).toContain('GET /api/v1/users/{userId}/coupon-stats');
  });

  it('documents 503 OVERLOADED (a full append, hashing or connection queue) on every command that appends, hashes or reads the account, and only there', () => {
    const overloading = WRITE_API_OPERATIONS.filter((operation) =>
      errorCodesOf(operation).includes('OVERLOADED'),
    ).map((operation) => operation.operationId);
    expect(overloading.sort()).toEqual(
      [
        'addStock',
        'cancelOrder',
        'cancelReservation',
        'changePassword',
        'changeSaleWindow',
        'claimCoupon',
        'closeCoupon',
        'createCoupon',
        'deactivateCoupon',
        'disableUser',
        'enableUser',
        'login',
        'markAllNotificationsRead',
        'markNotificationRead',
        'placeReservation',
        'reactivateCoupon',
        'refreshToken',
        'registerUser',
        'seckill',
        'useOrder',
      ].sort(),
    );
    const seckill = writeApiDocument().paths?.['/api/v1/seckill/{couponId}']?.post?.responses?.['503'] as {
      description: string;
      headers: Record<string, unknown>;
    };
    expect(seckill.description).toContain('`OVERLOADED`');
    expect(seckill.headers['Retry-After']).toEqual({ $ref: '#/components/headers/Retry-After' });
  });

  it('documents 429 RATE_LIMITED with Retry-After and the RateLimit fields on registration, login and refresh', () => {
    const limited = WRITE_API_OPERATIONS.filter((operation) =>
      errorCodesOf(operation).includes('RATE_LIMITED'),
    ).map((operation) => operation.operationId);
    expect(limited).toEqual(expect.arrayContaining(['registerUser', 'login', 'refreshToken']));
    for (const path of ['/api/v1/users', '/api/v1/auth/login', '/api/v1/auth/refresh']) {
      const responses = writeApiDocument().paths?.[path]?.post?.responses as Record<
        string,
        { headers: Record<string, unknown> }
      >;
      expect(Object.keys(responses['429']!.headers)).toEqual(
        expect.arrayContaining(['Retry-After', 'RateLimit-Policy', 'RateLimit']),
      );
      const admitted = responses[path === '/api/v1/users' ? '201' : '200']!;
      expect(Object.keys(admitted.headers)).toEqual(
        expect.arrayContaining(['RateLimit-Policy', 'RateLimit']),
      );
    }
  });

  it('passes the answers both APIs give (and so does every integration test)', async () => {
    // Answers are checked against the document of the API that gave them; the ops listener has none.
    expect(await servedContract(writeUrl)).toBe('CouponKill write API');
    expect(await servedContract(readUrl)).toBe('CouponKill read API');
    expect(await servedContract(app.urls.ops)).toBeNull();
    const admin = tokenFor('contract-admin', 'admin');
    const created = await request(writeUrl, 'POST', '/api/v1/coupons', {
      token: admin,
      body: {
        name: 'Contract',
        faceValueCents: 1,
        totalStock: 1,
        saleStartsAt: new Date(Date.now() - 60_000).toISOString(),
        saleEndsAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    expect(created.status).toBe(201);
    const couponId = String(created.body.couponId);
    const placed = await request(writeUrl, 'POST', `/api/v1/seckill/${couponId}`, {
      token: tokenFor('contract-buyer'),
      headers: { 'Idempotency-Key': 'contract-1' },
    });
    expect(placed.status).toBe(201);
    const replayed = await request(writeUrl, 'POST', `/api/v1/seckill/${couponId}`, {
      token: tokenFor('contract-buyer'),
      headers: { 'Idempotency-Key': 'contract-1' },
    });
    expect([replayed.status, replayed.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    const soldOut = await request(writeUrl, 'POST', `/api/v1/seckill/${couponId}`, {
      token: tokenFor('contract-other'),
    });
    expect(soldOut.body.error?.code).toBe('SOLD_OUT');
    for (const [token, status] of [
      [undefined, 401],
      [tokenFor('contract-buyer'), 403],
    ] as const)
      expect((await request(writeUrl, 'POST', '/api/v1/coupons', { token, body: {} })).status).toBe(status);
    expect((await request(writeUrl, 'POST', '/api/v1/users', { rawBody: '{"a":' })).status).toBe(400);
    expect((await request(writeUrl, 'GET', '/api/v1/nothing')).status).toBe(404);
    expect((await request(readUrl, 'GET', '/api/v1/projections/lag')).status).toBe(200);
    expect(
      (await request(readUrl, 'GET', '/api/v1/users/contract-buyer/orders', { token: tokenFor('someone') }))
        .status,
    ).toBe(403);
    expect((await request(readUrl, 'GET', '/api/v1/coupons?limit=0', { token: admin })).status).toBe(400);
  });

  describe('the conformance check', () => {
    let stub: Server;
    let stubUrl: string;
    let answer: { status: number; headers: Record<string, string>; body: string };
    const headers = {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'X-Request-Id': 'stub',
    };
    const order = {
      orderId: '00000000-0000-7000-8000-000000000001',
      couponId: '00000000-0000-7000-8000-000000000002',
      userId: 'buyer',
      status: 'PLACED',
      position: '7',
    };
    const seckill = (body: unknown) => ({
      status: 201,
      headers: {
        ...headers,
        Location: `/api/v1/orders/${order.orderId}`,
        'RateLimit-Policy': '"seckill-per-buyer";q=5;w=1',
        RateLimit: '"seckill-per-buyer";r=4;t=1',
      },
      body: JSON.stringify(body),
    });
    const buy = () =>
      request(stubUrl, 'POST', `/api/v1/seckill/${order.couponId}`, { token: tokenFor('buyer') });

    /** A server that serves the write API's document and whatever answer a case sets. */
    beforeAll(async () => {
      const document = JSON.stringify(writeApiDocument());
      stub = createServer((req, res) => {
        if (req.url === '/openapi.json')
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(document);
        else res.writeHead(answer.status, answer.headers).end(answer.body);
      });
      await new Promise<void>((done) => stub.listen(0, '127.0.0.1', done));
      stubUrl = `http://127.0.0.1:${String((stub.address() as AddressInfo).port)}`;
    });
    afterAll(() => new Promise<void>((done) => stub.close(() => done())));

    it('passes an answer the document describes', async () => {
      answer = seckill(order);
      expect((await buy()).status).toBe(201);
      answer = {
        status: 503,
        headers: { ...headers, 'Retry-After': '2' },
        body: JSON.stringify({ error: { code: 'OVERLOADED', message: 'x' } }),
      };
      expect((await buy()).body.error?.code).toBe('OVERLOADED');
    });

    it.each([
      [
        'an undocumented status',
        () => ({ ...seckill(order), status: 418 }),
        /answered 418, a status it does not document/,
      ],
      [
        'a missing field',
        () => seckill({ ...order, position: undefined }),
        /must have required property 'position'/,
      ],
      ['an extra field', () => seckill({ ...order, extra: 1 }), /must NOT have additional properties/],
      [
        'an error code the operation does not answer',
        () => ({
          status: 409,
          headers,
          body: JSON.stringify({ error: { code: 'ORDER_CANCELLED', message: 'x' } }),
        }),
        /answered 409 with error code ORDER_CANCELLED, which it does not document for 409 \(SOLD_OUT, /,
      ],
      [
        'a missing Retry-After',
        () => ({
          status: 503,
          headers,
          body: JSON.stringify({ error: { code: 'GATE_RECOVERING', message: 'x' } }),
        }),
        /answered 503 without the header Retry-After/,
      ],
      [
        'an OVERLOADED without Retry-After',
        () => ({
          status: 503,
          headers,
          body: JSON.stringify({ error: { code: 'OVERLOADED', message: 'x' } }),
        }),
        /answered 503 without the header Retry-After/,
      ],
      [
        'a cacheable answer',
        () => ({ ...seckill(order), headers: { ...seckill(order).headers, 'Cache-Control': 'max-age=60' } }),
        /with Cache-Control: max-age=60, which the document does not allow/,
      ],
    ])('fails the request on %s', async (_name, make, message) => {
      answer = make();
      await expect(buy()).rejects.toThrow(message);
    });

    it('checks answers to routes the document does not have', async () => {
      answer = { status: 200, headers, body: '{}' };
      await expect(request(stubUrl, 'GET', '/api/v1/elsewhere')).rejects.toThrow(
        /has no operation, and answered 200/,
      );
      answer = { status: 404, headers, body: JSON.stringify({ error: { code: 'NOT_FOUND', message: 'x' } }) };
      expect((await request(stubUrl, 'GET', '/api/v1/elsewhere')).status).toBe(404);
    });
  });
});
