import { decodeEvent } from '../domain-events';

const ref = { orderId: 'o-1', couponId: 'c-1', userId: 'u-1' };

describe('order event upcasting', () => {
  it('reads a v1 OrderPlaced as a flash-sale order with no minimum spend, valid for ever', () =>
    expect(
      decodeEvent({
        type: 'OrderPlaced',
        schemaVersion: 1,
        data: { ...ref, placedAt: '2026-12-01T10:00:00.000Z', idempotencyKey: null },
      }),
    ).toEqual({
      type: 'OrderPlaced',
      schemaVersion: 2,
      data: {
        ...ref,
        placedAt: '2026-12-01T10:00:00.000Z',
        idempotencyKey: null,
        couponType: 'SECKILL',
        minSpendCents: 0,
        validUntil: null,
      },
    }));

  it('reads a v1 OrderUsed as used on an amount nobody gave', () =>
    expect(
      decodeEvent({
        type: 'OrderUsed',
        schemaVersion: 1,
        data: { ...ref, usedAt: '2026-12-01T10:00:00.000Z' },
      }),
    ).toEqual({
      type: 'OrderUsed',
      schemaVersion: 2,
      data: { ...ref, usedAt: '2026-12-01T10:00:00.000Z', amountCents: null },
    }));
});
