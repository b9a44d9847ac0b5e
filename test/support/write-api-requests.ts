import type { EventStore, RecordedEvent } from '../../commands/event-store-port';
import { request } from './http-client';

/** Creates a seckill coupon on sale from a minute ago for an hour (10 units, 1 a buyer unless `coupon` says otherwise). */
export const createCouponVia = async (
  writeUrl: string,
  adminToken: string,
  coupon: Record<string, unknown> = {},
): Promise<string> => {
  const response = await request(writeUrl, 'POST', '/api/v1/coupons', {
    token: adminToken,
    body: {
      name: 'Flash coupon',
      faceValueCents: 500,
      totalStock: 10,
      perUserLimit: 1,
      saleStartsAt: new Date(Date.now() - 60_000).toISOString(),
      saleEndsAt: new Date(Date.now() + 3_600_000).toISOString(),
      ...coupon,
    },
  });
  if (response.status !== 201) throw new Error(`coupon not created: ${JSON.stringify(response.body)}`);
  return String(response.body.couponId);
};

/** Every event of the store, in order. */
export const allEventsOf = async (store: EventStore): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = [];
  for (let after = 0n; ;) {
    const page = await store.readAll(after, 5000);
    events.push(...page);
    if (page.length < 5000) return events;
    after = page.at(-1)!.position;
  }
};
