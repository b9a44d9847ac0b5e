import { DeciderSpecification } from '../../test/support/decider-specification';
import {
  couponDecider,
  MAX_MIN_ACCOUNT_AGE_SECONDS,
  MAX_PER_USER_LIMIT,
  MAX_STOCK,
  type CreateCoupon,
} from './coupon-decider';
import type { CouponCreated, CouponEvent } from './coupon-events';

const spec = DeciderSpecification.for(couponDecider);
const couponId = 'c-1';
const starts = new Date('2026-12-01T10:00:00Z');
const ends = new Date('2026-12-01T12:00:00Z');

const create = (overrides: Partial<CreateCoupon['data']> = {}): CreateCoupon => ({
  type: 'CreateCoupon',
  data: {
    couponId,
    name: 'Ten off',
    description: '',
    faceValueCents: 1000,
    totalStock: 100,
    perUserLimit: 2,
    minAccountAgeSeconds: 0,
    saleStartsAt: starts,
    saleEndsAt: ends,
    ...overrides,
  },
});
const created: CouponCreated = {
  type: 'CouponCreated',
  schemaVersion: 4,
  data: {
    couponId,
    couponType: 'SECKILL',
    minSpendCents: 0,
    validDays: null,
    validUntil: null,
    name: 'Ten off',
    description: '',
    faceValueCents: 1000,
    totalStock: 100,
    perUserLimit: 2,
    minAccountAgeSeconds: 0,
    saleStartsAt: starts.toISOString(),
    saleEndsAt: ends.toISOString(),
  },
};
const closed: CouponEvent = {
  type: 'CouponClosed',
  schemaVersion: 1,
  data: { couponId, closedAt: ends.toISOString() },
};

describe('coupon decider', () => {
  describe('create', () => {
    it('creates a coupon', () => spec.given([]).when(create()).then([created]));
    it('trims the name', () =>
      spec
        .given([])
        .when(create({ name: '  Ten off ' }))
        .then([created]));
    it('refuses a second creation', () =>
      spec.given([created]).when(create()).thenThrows('COUPON_ALREADY_EXISTS'));
    it.each([
      ['an empty name', { name: '   ' }],
      ['a name over 200 characters', { name: 'x'.repeat(201) }],
      ['a negative face value', { faceValueCents: -1 }],
      ['a fractional face value', { faceValueCents: 10.5 }],
      ['zero stock', { totalStock: 0 }],
      ['stock over the maximum', { totalStock: MAX_STOCK + 1 }],
      ['a fractional stock', { totalStock: 1.5 }],
      ['a zero per-user limit', { perUserLimit: 0 }],
      ['a per-user limit over the maximum', { perUserLimit: MAX_PER_USER_LIMIT + 1 }],
      ['a negative account age', { minAccountAgeSeconds: -1 }],
      ['a fractional account age', { minAccountAgeSeconds: 0.5 }],
      ['an account age over the maximum', { minAccountAgeSeconds: MAX_MIN_ACCOUNT_AGE_SECONDS + 1 }],
      ['a window that starts when it ends', { saleStartsAt: ends }],
      ['a window that ends before it starts', { saleStartsAt: ends, saleEndsAt: starts }],
      ['an invalid date', { saleStartsAt: new Date('nonsense') }],
    ])('refuses %s', (_name, overrides) =>
      spec.given([]).when(create(overrides)).thenThrows('VALIDATION_FAILED'),
    );
    it('carries an account-age requirement', () =>
      spec
        .given([])
        .when(create({ minAccountAgeSeconds: 86_400 }))
        .then([{ ...created, data: { ...created.data, minAccountAgeSeconds: 86_400 } }]));
    it('accepts a free coupon', () =>
      spec
        .given([])
        .when(create({ faceValueCents: 0 }))
        .then([{ ...created, data: { ...created.data, faceValueCents: 0 } }]));
  });

  describe('add stock', () => {
    it('adds to the total', () =>
      spec
        .given([created])
        .when({ type: 'AddStock', data: { couponId, quantity: 5 } })
        .then([
          { type: 'CouponStockAdded', schemaVersion: 1, data: { couponId, quantity: 5, totalStock: 105 } },
        ]));
    it('accumulates over several additions', () =>
      spec
        .given([
          created,
          { type: 'CouponStockAdded', schemaVersion: 1, data: { couponId, quantity: 5, totalStock: 105 } },
        ])
        .when({ type: 'AddStock', data: { couponId, quantity: 10 } })
        .thenState({ ...created.data, status: 'active', totalStock: 115 }));
    it('refuses an unknown coupon', () =>
      spec
        .given([])
        .when({ type: 'AddStock', data: { couponId, quantity: 1 } })
        .thenThrows('COUPON_NOT_FOUND'));
    it('refuses a closed coupon', () =>
      spec
        .given([created, closed])
        .when({ type: 'AddStock', data: { couponId, quantity: 1 } })
        .thenThrows('COUPON_CLOSED'));
    it.each([0, -3, 2.5])('refuses a quantity of %p', (quantity) =>
      spec
        .given([created])
        .when({ type: 'AddStock', data: { couponId, quantity } })
        .thenThrows('VALIDATION_FAILED'),
    );
    it('refuses a total over the maximum', () =>
      spec
        .given([created])
        .when({ type: 'AddStock', data: { couponId, quantity: MAX_STOCK } })
        .thenThrows('VALIDATION_FAILED'));
  });

  describe('close', () => {
    it('closes an active coupon', () =>
      spec
        .given([created])
        .when({ type: 'CloseCoupon', data: { couponId, now: ends } })
        .then([closed]));
    it('leaves a closed state', () =>
      spec
        .given([created])
        .when({ type: 'CloseCoupon', data: { couponId, now: ends } })
        .thenState({ ...created.data, status: 'closed' }));
    it('refuses an unknown coupon', () =>
      spec
        .given([])
        .when({ type: 'CloseCoupon', data: { couponId, now: ends } })
        .thenThrows('COUPON_NOT_FOUND'));
    it('refuses a closed coupon', () =>
      spec
        .given([created, closed])
        .when({ type: 'CloseCoupon', data: { couponId, now: ends } })
        .thenThrows('COUPON_CLOSED'));
  });
});
