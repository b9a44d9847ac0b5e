import { withMetadata, type CommandContext } from '../../commands/command-context';
import type { EventToAppend, ExpectedRevision } from '../../commands/event-store-port';
import { couponDecider } from '../../domain/coupon/coupon-decider';
import { couponStreamId } from '../../domain/coupon/coupon-events';
import { orderDecider, type OrderState, type OrderTerms } from '../../domain/order/order-decider';
import { orderStreamId } from '../../domain/order/order-events';
import { UuidV7Ids } from '../../infra/ids/uuid-v7-ids';

export interface Append {
  readonly streamId: string;
  readonly events: EventToAppend[];
  readonly expected: ExpectedRevision;
}

const ORDERS_PER_COUPON = 20_000;
const BUYERS = 200_000;
/** The terms the gate hands an order of the bench's coupons: flash-sale, no rule. */
const SECKILL_TERMS: OrderTerms = {
  couponType: 'SECKILL',
  minSpendCents: 0,
  validDays: null,
  validUntil: null,
};
const context: CommandContext = {
  actorId: 'bench',
  correlationId: 'bench-history',
  causationId: 'bench-history',
};

/**
 * A plausible event history made by the domain's own deciders (so every event is valid and exactly what the write side
 * stores): coupons, orders placed on them, and one order in ten later cancelled, one in twenty used. Yields waves of
 * appends that can be stored concurrently (a follow-up comes in a later wave than its order).
 */
export function* syntheticHistory(totalEvents: number, waveSize: number): Generator<Append[]> {
  const ids = new UuidV7Ids();
  const now = new Date();
  let produced = 0;
  let couponId = '';
  let ordersOnCoupon = ORDERS_PER_COUPON;
  let followUps: Append[] = [];
  let order = 0;
  while (produced < totalEvents) {
    const wave: Append[] = followUps.slice(0, totalEvents - produced);
    followUps = [];
    produced += wave.length;
    while (wave.length < waveSize && produced < totalEvents) {
      if (ordersOnCoupon >= ORDERS_PER_COUPON) {
        couponId = ids.newId();
        ordersOnCoupon = 0;
        const created = couponDecider.decide(
          {
            type: 'CreateCoupon',
            data: {
              couponId,
              couponType: 'SECKILL',
              name: `Bench coupon ${couponId.slice(-6)}`,
              description: '',
              faceValueCents: 1000,
              totalStock: ORDERS_PER_COUPON,
              perUserLimit: 5,
              minAccountAgeSeconds: 0,
              minSpendCents: 0,
              saleStartsAt: new Date(now.getTime() - 86_400_000),
              saleEndsAt: new Date(now.getTime() + 86_400_000),
              validDays: null,
              validUntil: null,
              now,
            },
          },
          couponDecider.initialState,
        );
        wave.push({
          streamId: couponStreamId(couponId),
          events: stamp(created, ids, now),
          expected: 'no_stream',
        });
        produced += 1;
        continue;
      }
      const userId = `buyer-${(order * 7919) % BUYERS}`;
      const orderId = ids.orderId(userId);
      const placed = orderDecider.decide(
        {
          type: 'PlaceOrder',
          data: { orderId, couponId, userId, idempotencyKey: null, now, terms: SECKILL_TERMS },
        },
        orderDecider.initialState,
      );
      wave.push({ streamId: orderStreamId(orderId), events: stamp(placed, ids, now), expected: 'no_stream' });
      produced += 1;
      ordersOnCoupon += 1;
      order += 1;
      const state = placed.reduce<OrderState>(
        (current, event) => orderDecider.evolve(current, event),
        orderDecider.initialState,
      );
      if (order % 10 === 0 || order % 20 === 5) {
        const followUp = orderDecider.decide(
          order % 10 === 0
            ? { type: 'CancelOrder', data: { orderId, byUserId: userId, now } }
            : { type: 'UseOrder', data: { orderId, byUserId: userId, now, amountCents: null } },
          state,
        );
        followUps.push({ streamId: orderStreamId(orderId), events: stamp(followUp, ids, now), expected: 0n });
      }
    }
    yield wave;
  }
}

const stamp = (events: Parameters<typeof withMetadata>[0], ids: UuidV7Ids, now: Date): EventToAppend[] =>
  withMetadata(events, context, now, () => ids.newId());
