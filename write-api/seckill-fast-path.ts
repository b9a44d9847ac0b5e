import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Counter, Registry } from 'prom-client';
import type { JwtTokens, Principal } from '../infra/auth/jwt-tokens';
import { principalFromAuthorization } from '../infra/http/bearer';
import type { CorsHeaders, CorsPolicy } from '../infra/http/cors-policy';
import { errorBody, failureAnswer } from '../infra/http/error-handler';
import { httpSeries } from '../infra/http/http-metrics';
import { requestIdFrom } from '../infra/http/request-context';
import { RESPONSE_HEADERS } from '../infra/http/response-headers';
import { toWriteApiError } from './error-mapping';
import { SECKILL_ROUTE, type SeckillAnswer } from './seckill-answer';

/** The canonical seckill URL; anything else (trailing slash, odd case, escapes, bad ids) is left to express. */
const SECKILL_URL =
  /^\/api\/v1\/seckill\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\?|$)/;
const JSON_TYPE = 'application/json; charset=utf-8';

export interface SeckillFastPathDependencies {
  readonly answer: SeckillAnswer;
  readonly tokens: JwtTokens;
  /** Both entry points report into the same HTTP series (infra/http/http-metrics.ts). */
  readonly registry: Registry;
  readonly logger: Logger;
  /** The write API's one CORS policy: the answer to an allowed `Origin` carries the headers express would add. */
  readonly cors: CorsPolicy;
}

/** Answers the request and returns true, or returns false without touching it so express serves it. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * `POST /api/v1/seckill/:couponId` without express: the hot route of a flash sale pays none of express's per-request
 * costs (prototype swaps, router walk, res.json/send). Authentication comes from the shared HTTP kit and the answer
 * from seckillAnswer, exactly as the express route gets them (test/write-api.int.ts checks they agree). Requests
 * with a body go to express, whose body parser decides their fate (415, 400, 413), so that behaviour has one owner.
 */
export const seckillFastPath = ({
  answer,
  tokens,
  registry,
  logger,
  cors,
}: SeckillFastPathDependencies): FastPath => {
  const metrics = routeMetrics(registry);

  const serve = async (req: IncomingMessage, res: ServerResponse, couponId: string): Promise<void> => {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(header(req.headers, 'x-request-id'));
    const path = (req.url ?? '').split('?')[0] ?? '';
    // Made once per allowed origin (infra/http/cors-policy.ts): a lookup, no allocation; undefined without Origin.
    const corsHeaders = cors.headersFor(req.headers.origin);
    try {
      let principal: Principal;
      try {
        principal = principalFromAuthorization(tokens, header(req.headers, 'authorization'));
      } catch (error) {
        const failure = failureAnswer(error, toWriteApiError, logger, { requestId, path });
        sendJson(
          res,
          failure.status,
          errorBody(failure),
          { 'X-Request-Id': requestId, ...failure.headers },
          corsHeaders,
        );
        return;
      }
      const { status, headers, body } = await answer({
        params: { couponId },
        principal,
        idempotencyKey: header(req.headers, 'idempotency-key'),
        requestId,
        path,
      });
      sendJson(res, status, body, { 'X-Request-Id': requestId, ...headers }, corsHeaders);
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

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return typeof value === 'string' ? value : value?.join(', ');
};

const hasBody = (headers: IncomingHttpHeaders): boolean =>
  (headers['content-length'] !== undefined && headers['content-length'] !== '0') ||
  headers['transfer-encoding'] !== undefined;

const sendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders,
  corsHeaders: CorsHeaders | undefined,
): void => {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...RESPONSE_HEADERS,
    ...corsHeaders,
    ...headers,
    'Content-Type': JSON_TYPE,
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
};

/** The series of infra/http/http-metrics.ts, under the same labels the express route reports. */
const routeMetrics = (registry: Registry) => {
  const { requests, latency } = httpSeries(registry);
  const byStatus = new Map<number, Counter.Internal>();
  const timer = latency.labels({ method: 'POST', route: SECKILL_ROUTE });
  return {
    record: (status: number, started: bigint): void => {
      let child = byStatus.get(status);
      if (child === undefined)
        byStatus.set(status, (child = requests.labels({ method: 'POST', route: SECKILL_ROUTE, status })));
      child.inc();
      timer.observe(Number(process.hrtime.bigint() - started) / 1e9);
    },
  };
};
