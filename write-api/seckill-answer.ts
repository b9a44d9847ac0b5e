import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { SaleStats } from '../commands/sale-stats-port';
import type { SeckillHandler, SeckillResult } from '../commands/seckill-handler';
import type { CouponType } from '../domain/coupon/coupon-events';
import type { Principal } from '../infra/auth/jwt-tokens';
import { ApiError } from '../infra/http/api-error';
import { errorBody, failureAnswer } from '../infra/http/error-handler';
import { couponIdParam } from '../infra/http/id-params';
import { parseWith } from '../infra/http/validation';
import { toWriteApiError } from './error-mapping';
import type { SeckillAdmission } from './seckill-admission';

/** Visible ASCII without spaces: the key is stored next to the buyer's id in the gate. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

/** The route template both the express route and the lean hot path report in their metrics. */
export const SECKILL_ROUTE = '/api/v1/seckill/:couponId';

/** A whole answer: status, headers beyond the common ones, and the JSON body. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

export interface SeckillCall {
  /** The path parameters as routed (`{ couponId }`), validated here. */
  readonly params: unknown;
  readonly principal: Principal;
  readonly idempotencyKey: string | undefined;
  readonly requestId: string;
  readonly path: string;
  /** What the route sells: `SECKILL` (absent: the seckill route) or `REGULAR` (the claim route). */
  readonly couponType?: CouponType;
}

const invalidIdempotencyKey = (): ApiError =>
  new ApiError(400, 'VALIDATION_FAILED', 'Idempotency-Key must be 1 to 128 visible ASCII characters');

/** The answer body: the result without its `replayed` flag, which travels as status and header instead. */
const orderBody = ({ replayed: _replayed, ...order }: SeckillResult): Omit<SeckillResult, 'replayed'> =>
  order;

/** Seckill attempts by outcome `code` (counter). */
export const SECKILL_OUTCOMES_TOTAL = 'couponkill_seckill_outcomes_total';

/** One counter per registry, whichever entry point asks first. */
const seckillOutcomes = (registry: Registry): Counter<'code'> =>
  (registry.getSingleMetric(SECKILL_OUTCOMES_TOTAL) as Counter<'code'> | undefined) ??
  new Counter({
    name: SECKILL_OUTCOMES_TOTAL,
    help: 'Seckill attempts by outcome code (PLACED, REPLAYED, or the error code)',
    labelNames: ['code'],
    registers: [registry],
  });

/**
 * `POST /api/v1/seckill/:couponId` (and the claim of a regular coupon, `POST /api/v1/coupons/:couponId/claim`, which
 * differs only in the coupon type it sells) once authenticated, written once for both entry points (the lean node:http path
 * and the express route): validation, admission control (write-api/seckill-admission.ts: the buyer's click rate and
 * the coupon's admission rate, both before the stock gate), the handler, the outcome metric, the coupon's outcome
 * count (`saleStats`, in memory: once the coupon id is valid, whatever the outcome, admission refusals included), and
 * the answer, errors included; every answer past admission carries the buyer's RateLimit fields. Never throws.
 */
export const seckillAnswer = (
  seckill: SeckillHandler,
  admission: SeckillAdmission,
  saleStats: SaleStats,
  registry: Registry,
  logger: Logger,
) => {
  const counter = seckillOutcomes(registry);
  // prom-client hashes the label object on every call; a child per outcome hashes it once.
  const children = new Map<string, Counter.Internal>();
  const outcome = (code: string): Counter.Internal => {
    let child = children.get(code);
    if (child === undefined) children.set(code, (child = counter.labels({ code })));
    return child;
  };
  // Coupons the handler has answered for (so they exist): bounded by the coupons there are, whatever callers send.
  const knownCoupons = new Set<string>();
  return async (call: SeckillCall): Promise<HttpAnswer> => {
    let quota: Readonly<Record<string, string>> = {};
    // Known once the path parsed; a malformed id is nobody's coupon and is not counted per coupon.
    let couponId: string | undefined;
    let handled = false;
    try {
      ({ couponId } = parseWith(couponIdParam, call.params, 'path'));
      const idempotencyKey = call.idempotencyKey ?? null;
      if (idempotencyKey !== null && !IDEMPOTENCY_KEY.test(idempotencyKey)) throw invalidIdempotencyKey();
      const { userId, registeredAtMs } = call.principal;
      quota = await admission(couponId, userId);
      handled = true;
      const result = await seckill.handle(
        {
          couponId,
          couponType: call.couponType ?? 'SECKILL',
          userId,
          idempotencyKey,
          registeredAtMs: registeredAtMs ?? null,
        },
        { actorId: userId, correlationId: call.requestId, causationId: call.requestId },
      );
      const code = result.replayed ? 'REPLAYED' : 'PLACED';
      outcome(code).inc();
      saleStats.record(couponId, code);
      knownCoupons.add(couponId);
      const headers: Record<string, string> = { ...quota, Location: `/api/v1/orders/${result.orderId}` };
      if (result.replayed) headers['Idempotent-Replayed'] = 'true';
      return { status: result.replayed ? 200 : 201, headers, body: orderBody(result) };
    } catch (error) {
      const known = toWriteApiError(error);
      const code = known?.code ?? 'INTERNAL_ERROR';
      outcome(code).inc();
      // Counted per coupon only for coupons that exist: an outcome of the handler other than COUPON_NOT_FOUND, or a
      // refusal before it (admission) of a coupon the handler has answered for. Anything else (made-up ids, a bad
      // Idempotency-Key) would let any caller fill Redis with keys.
      if (couponId !== undefined && code !== 'COUPON_NOT_FOUND') {
        if (handled) {
          saleStats.record(couponId, code);
          knownCoupons.add(couponId);
        } else if (knownCoupons.has(couponId)) saleStats.record(couponId, code);
      }
      const answer = failureAnswer(error, toWriteApiError, logger, call, known);
      return { status: answer.status, headers: { ...quota, ...answer.headers }, body: errorBody(answer) };
    }
  };
};

export type SeckillAnswer = ReturnType<typeof seckillAnswer>;
