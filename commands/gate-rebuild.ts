import { couponDecider, type CouponState } from '../domain/coupon/coupon-decider';
import { assertNever } from '../domain/shared/event';
import type { EventStore, RecordedEvent } from './event-store-port';
import { toGateCoupon } from './gate-coupon';
import { decodeRecorded } from './stored-events';
import type { GateSnapshot, StockGate } from './stock-gate-port';

const PAGE_SIZE = 5000;

interface OrderFacts {
  readonly couponId: string;
  readonly userId: string;
  readonly idempotencyKey: string | null;
  live: boolean;
}

export interface RebuildReport {
  readonly coupons: number;
  readonly liveOrders: number;
  readonly events: number;
}

/**
 * Derives the whole gate from the event store (ARCHITECTURE invariant 5) and loads it. Sales of every coupon stop for
 * the duration; reservations still pending are kept, so an order whose append lands during the rebuild stays counted.
 */
export class GateRebuild {
  constructor(
    private readonly store: EventStore,
    private readonly gate: StockGate,
  ) {}

  async run(): Promise<RebuildReport> {
    await this.gate.beginRebuild(await this.gate.couponIds());
    const coupons = new Map<string, { state: CouponState; revision: bigint }>();
    const orders = new Map<string, OrderFacts>();
    let events = 0;
    for (let after = 0n; ;) {
      const page = await this.store.readAll(after, PAGE_SIZE);
      for (const event of page) applyEvent(event, coupons, orders);
      events += page.length;
      const last = page.at(-1);
      if (!last || page.length < PAGE_SIZE) break;
      after = last.position;
    }
    const snapshots = snapshotsOf(coupons, orders);
    await this.gate.load(snapshots);
    return { coupons: snapshots.length, liveOrders: snapshots.reduce((n, s) => n + s.sold, 0), events };
  }
}

/** Folds one stored event into the coupons and orders the gate is derived from; every event type is named. */
const applyEvent = (
  recorded: RecordedEvent,
  coupons: Map<string, { state: CouponState; revision: bigint }>,
  orders: Map<string, OrderFacts>,
): void => {
  const { event } = decodeRecorded(recorded);
  switch (event.type) {
    case 'CouponCreated':
    case 'CouponStockAdded':
    case 'CouponClosed': {
      const current = coupons.get(recorded.streamId)?.state ?? couponDecider.initialState;
      coupons.set(recorded.streamId, {
        state: couponDecider.evolve(current, event),
        revision: recorded.revision,
      });
      return;
    }
    case 'OrderPlaced': {
      const { orderId, couponId, userId, idempotencyKey } = event.data;
      orders.set(orderId, { couponId, userId, idempotencyKey, live: true });
      return;
    }
    case 'OrderCancelled': {
      const order = orders.get(event.data.orderId);
      if (order) order.live = false;
      return;
    }
    // A used order keeps its unit; an abandoned seckill never held one; users have no stock.
    case 'OrderUsed':
    case 'SeckillAbandoned':
    case 'UserRegistered':
      return;
    default:
      assertNever(event);
  }
};

const snapshotsOf = (
  coupons: ReadonlyMap<string, { state: CouponState; revision: bigint }>,
  orders: ReadonlyMap<string, OrderFacts>,
): GateSnapshot[] => {
  const snapshots = new Map<
    string,
    GateSnapshot & { buyers: Map<string, string[]>; idempotencyKeys: Map<string, string>; sold: number }
  >();
  for (const { state, revision } of coupons.values()) {
    if (state.status === 'absent') continue;
    snapshots.set(state.couponId, {
      coupon: toGateCoupon(state, revision),
      buyers: new Map(),
      idempotencyKeys: new Map(),
      sold: 0,
    });
  }
  for (const [orderId, order] of orders) {
    const snapshot = snapshots.get(order.couponId);
    if (!snapshot) continue;
    if (order.idempotencyKey !== null)
      snapshot.idempotencyKeys.set(`${order.userId}:${order.idempotencyKey}`, orderId);
    if (!order.live) continue;
    snapshot.buyers.set(order.userId, [...(snapshot.buyers.get(order.userId) ?? []), orderId]);
    snapshot.sold += 1;
  }
  return [...snapshots.values()];
};
