import { decodeEvent } from '../domain-events';

const v1 = {
  couponId: 'c-1',
  name: 'Ten off',
  faceValueCents: 1000,
  totalStock: 100,
  perUserLimit: 2,
  saleStartsAt: '2026-12-01T10:00:00.000Z',
  saleEndsAt: '2026-12-01T12:00:00.000Z',
};

describe('CouponCreated upcasting', () => {
  it('reads a v1 coupon with an empty description and no account-age rule', () =>
    expect(decodeEvent({ type: 'CouponCreated', schemaVersion: 1, data: v1 })).toEqual({
      type: 'CouponCreated',
      schemaVersion: 3,
      data: { ...v1, description: '', minAccountAgeSeconds: 0 },
    }));

  it('reads a v2 coupon with no account-age rule', () =>
    expect(
      decodeEvent({ type: 'CouponCreated', schemaVersion: 2, data: { ...v1, description: 'd' } }),
    ).toEqual({
      type: 'CouponCreated',
      schemaVersion: 3,
      data: { ...v1, description: 'd', minAccountAgeSeconds: 0 },
    }));

  it('reads a v3 coupon as written', () => {
    const data = { ...v1, description: '', minAccountAgeSeconds: 3600 };
    expect(decodeEvent({ type: 'CouponCreated', schemaVersion: 3, data })).toEqual({
      type: 'CouponCreated',
      schemaVersion: 3,
      data,
    });
  });
});
