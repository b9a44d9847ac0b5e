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
/** What v4 added: a flash-sale coupon with no usage rule, its orders valid for ever. */
const asBefore = { couponType: 'SECKILL', minSpendCents: 0, validDays: null, validUntil: null };

describe('CouponCreated upcasting', () => {
  it('reads a v1 coupon with an empty description, no account-age rule, as a rule-free flash-sale coupon', () =>
    expect(decodeEvent({ type: 'CouponCreated', schemaVersion: 1, data: v1 })).toEqual({
      type: 'CouponCreated',
      schemaVersion: 4,
      data: { ...v1, description: '', minAccountAgeSeconds: 0, ...asBefore },
    }));

  it('reads a v2 coupon with no account-age rule', () =>
    expect(
      decodeEvent({ type: 'CouponCreated', schemaVersion: 2, data: { ...v1, description: 'd' } }),
    ).toEqual({
      type: 'CouponCreated',
      schemaVersion: 4,
      data: { ...v1, description: 'd', minAccountAgeSeconds: 0, ...asBefore },
    }));

  it('reads a v3 coupon as a rule-free flash-sale coupon', () => {
    const data = { ...v1, description: '', minAccountAgeSeconds: 3600 };
    expect(decodeEvent({ type: 'CouponCreated', schemaVersion: 3, data })).toEqual({
      type: 'CouponCreated',
      schemaVersion: 4,
      data: { ...data, ...asBefore },
    });
  });

  it('reads a v4 coupon as written', () => {
    const data = {
      ...v1,
      description: '',
      minAccountAgeSeconds: 0,
      couponType: 'REGULAR',
      minSpendCents: 5000,
      validDays: 7,
      validUntil: null,
    };
    expect(decodeEvent({ type: 'CouponCreated', schemaVersion: 4, data })).toEqual({
      type: 'CouponCreated',
      schemaVersion: 4,
      data,
    });
  });
});
