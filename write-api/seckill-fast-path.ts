import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Counter, Histogram, Registry } from 'prom-client';
import type { CommandContext } from '../commands/command-context';
import type { SeckillCommand } from '../commands/seckill-command';
import { InvalidTokenError, type JwtTokens, type Principal } from '../infra/auth/jwt-tokens';
import { ApiError, unauthenticated } from './http/api-error';
import { toApiError } from './http/error-mapping';
import {
  IDEMPOTENCY_KEY,
  SECKILL_ROUTE,
  invalidIdempotencyKey,
  orderBody,
  orderLocation,
  seckillOutcomes,
} from './routes/seckill-request';

/** The canonical seckill URL; anything else (trailing slash, odd case, escapes, bad ids) is left to express. */
const SECKILL_URL =
  /^\/api\/v1\/seckill\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\?|$)/;
/** Must stay equal to the one in http/request-context.ts. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const BEARER = /^Bearer ([A-Za-z0-9_.-]+)$/;
const JSON_TYPE = 'application/json; charset=utf-8';

export interface SeckillFastPathDependencies {
  readonly seckill: SeckillCommand;
  readonly tokens: JwtTokens;
  /** Must already hold the HTTP series that http/http-metrics.ts registers: both entry points share them. */
  readonly registry: Registry;
  readonly logger: Logger;
}

/** Answers the request and returns true, or returns false without touching it so express serves it. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * `POST /api/v1/seckill/:couponId` without express: the hot route of a flash sale pays none of express's per-request
 * costs (prototype swaps, router walk, res.json/send). It answers exactly as the express route does (same auth,
 * validation, headers, status codes, error bodies, metrics), which test/write-api.int.ts checks. Requests with a body
 * go to express, whose body parser decides their fate (415, 400, 413), so that behaviour has one owner.
 */
export const seckillFastPath = ({
  seckill,
  tokens,
  registry,
  logger,
}: SeckillFastPathDependencies): FastPath => {
  const metrics = routeMetrics(registry);
  const outcomes = cachedChildren((code: string) => seckillOutcomes(registry).labels({ code }));

  const fail = (
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    error: unknown,
    known = toApiError(error),
  ): void => {
    const answer = known ?? new ApiError(500, 'INTERNAL_ERROR', 'an unexpected error occurred');
    const path = (req.url ?? '').split('?')[0];
    if (answer.status === 503) logger.warn({ requestId, err: error, path }, 'dependency unavailable');
    else if (!known) logger.error({ requestId, err: error, path }, 'unexpected error');
    if (res.headersSent) return;
    const body = {
      error: {
        code: answer.code,
        message: answer.message,
        ...(answer.details ? { details: answer.details } : {}),
      },
    };
    sendJson(res, answer.status, body, { 'X-Request-Id': requestId, ...answer.headers });
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, couponId: string): Promise<void> => {
    const started = process.hrtime.bigint();
    const givenId = header(req.headers, 'x-request-id');
    const requestId = givenId && REQUEST_ID.test(givenId) ? givenId : randomUUID();
    try {
      let principal: Principal;
      try {
        principal = authenticate(tokens, header(req.headers, 'authorization'));
      } catch (error) {
        fail(req, res, requestId, error);
        return;
      }
      try {
        const idempotencyKey = header(req.headers, 'idempotency-key');
        if (idempotencyKey !== null && !IDEMPOTENCY_KEY.test(idempotencyKey)) throw invalidIdempotencyKey();
        const context: CommandContext = {
          actorId: principal.userId,
          correlationId: requestId,
          causationId: requestId,
        };
        const result = await seckill.handle({ couponId, userId: principal.userId, idempotencyKey }, context);
        outcomes(result.replayed ? 'REPLAYED' : 'PLACED').inc();
        const headers: OutgoingHttpHeaders = {
          'X-Request-Id': requestId,
          Location: orderLocation(result.orderId),
        };
        if (result.replayed) headers['Idempotent-Replayed'] = 'true';
        sendJson(res, result.replayed ? 200 : 201, orderBody(result), headers);
      } catch (error) {
        const known = toApiError(error);
        outcomes(known?.code ?? 'INTERNAL_ERROR').inc();
        fail(req, res, requestId, error, known);
      }
    } finally {
      metrics.record(res.statusCode, started);
    }
  };

  return (req, res) => {
    if (req.method !== 'POST' || hasBody(req.headers)) return false;
    const couponId = SECKILL_URL.exec(req.url ?? '')?.[1];
    if (couponId === undefined) return false;
    void serve(req, res, couponId);
    return true;
  };
};

const authenticate = (tokens: JwtTokens, authorization: string | null): Principal => {
  const token = authorization === null ? undefined : BEARER.exec(authorization)?.[1];
  if (!token) throw unauthenticated('a bearer token is required');
  try {
    return tokens.verify(token);
  } catch (error) {
    throw error instanceof InvalidTokenError ? unauthenticated(`invalid token: ${error.message}`) : error;
  }
};

const header = (headers: IncomingHttpHeaders, name: string): string | null => {
  const value = headers[name];
  return typeof value === 'string' ? value : (value?.join(', ') ?? null);
};

const hasBody = (headers: IncomingHttpHeaders): boolean =>
  (headers['content-length'] !== undefined && headers['content-length'] !== '0') ||
  headers['transfer-encoding'] !== undefined;

const sendJson = (res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': JSON_TYPE,
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
};

/** prom-client hashes the label object on every call; a child per label value hashes it once. */
const cachedChildren = <Key, Child>(make: (key: Key) => Child): ((key: Key) => Child) => {
  const children = new Map<Key, Child>();
  return (key) => {
    let child = children.get(key);
    if (child === undefined) children.set(key, (child = make(key)));
    return child;
  };
};

/** The series of http/http-metrics.ts, under the same labels the express route reports. */
const routeMetrics = (registry: Registry) => {
  const requests = registry.getSingleMetric('http_requests_total') as
    Counter<'method' | 'route' | 'status'> | undefined;
  const latency = registry.getSingleMetric('http_request_duration_seconds') as
    Histogram<'method' | 'route'> | undefined;
  if (!requests || !latency) throw new Error('register the HTTP metrics (http/http-metrics.ts) first');
  const byStatus = cachedChildren((status: number) =>
    requests.labels({ method: 'POST', route: SECKILL_ROUTE, status }),
  );
  const timer = latency.labels({ method: 'POST', route: SECKILL_ROUTE });
  return {
    record: (status: number, started: bigint): void => {
      byStatus(status).inc();
      timer.observe(Number(process.hrtime.bigint() - started) / 1e9);
    },
  };
};
