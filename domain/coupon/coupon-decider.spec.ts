import { DeciderSpecification } from '../../test/support/decider-specification';
import {
  couponDecider,
  MAX_MIN_ACCOUNT_AGE_SECONDS,
  MAX_PER_USER_LIMIT,
  MAX_STOCK,
  MAX_VALID_DAYS,
  SALE_WINDOW_BOUNDS,
  type CouponCommand,
  type CreateCoupon,
} from './coupon-decider';
import { decodeEvent } from '../domain-events';
import type { CouponCreated, CouponEvent } from './coupon-events';

const spec = DeciderSpecification.for(couponDecider);
const couponId = 'c-1';
const starts = new Date('2026-12-01T10:00:00Z');
const ends = new Date('2026-12-01T12:00:00Z');
/** Creation time: a week before the window opens. */
const createdAt = new Date('2026-11-24T10:00:00Z');

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
    couponType: 'SECKILL',
    minSpendCents: 0,
    validDays: null,
    validUntil: null,
    now: createdAt,
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
        .thenState({ ...created.data, status: 'active', deactivated: false, totalStock: 115 }));
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
        .thenState({ ...created.data, status: 'closed', deactivated: false }));
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
  describe('create with a type, usage rules and validity', () => {
    const regular = (overrides: Partial<CreateCoupon['data']> = {}) =>
      create({ couponType: 'REGULAR', saleStartsAt: null, saleEndsAt: null, ...overrides });
    const regularCreated: CouponCreated = {
      ...created,
      data: {
        ...created.data,
        couponType: 'REGULAR',
        saleStartsAt: SALE_WINDOW_BOUNDS.earliest.toISOString(),
        saleEndsAt: SALE_WINDOW_BOUNDS.latest.toISOString(),
      },
    };

    it('gives a REGULAR coupon the always-open window', () =>
      spec.given([]).when(regular()).then([regularCreated]));
    it('carries a minimum spend and validity in days', () =>
      spec
        .given([])
        .when(create({ minSpendCents: 5000, validDays: 30 }))
        .then([{ ...created, data: { ...created.data, minSpendCents: 5000, validDays: 30 } }]));
    it('carries a fixed validUntil after the window ends, to the millisecond in UTC', () =>
      spec
        .given([])
        .when(create({ validUntil: new Date('2026-12-31T23:59:59.999+01:00') }))
        .then([{ ...created, data: { ...created.data, validUntil: '2026-12-31T22:59:59.999Z' } }]));
    it.each([1, MAX_VALID_DAYS])('accepts %p valid days', (validDays) =>
      spec
        .given([])
        .when(create({ validDays }))
        .then([{ ...created, data: { ...created.data, validDays } }]),
    );
    it('accepts a REGULAR coupon valid until a future time', () =>
      spec
        .given([])
        .when(regular({ validUntil: new Date('2026-11-24T10:00:00.001Z') }))
        .then([
          { ...regularCreated, data: { ...regularCreated.data, validUntil: '2026-11-24T10:00:00.001Z' } },
        ]));
    it.each([
      ['0 valid days', { validDays: 0 }, 'validDays'],
      ['too many valid days', { validDays: MAX_VALID_DAYS + 1 }, 'validDays'],
      ['fractional valid days', { validDays: 1.5 }, 'validDays'],
      [
        'both validDays and validUntil',
        { validDays: 3, validUntil: new Date('2027-01-01T00:00:00Z') },
        'validUntil',
      ],
      ['a validUntil before the window ends', { validUntil: new Date('2026-12-01T11:00:00Z') }, 'validUntil'],
      ['a validUntil when the window ends', { validUntil: ends }, 'validUntil'],
      ['a validUntil past what we store', { validUntil: new Date('+010000-01-01T00:00:00Z') }, 'validUntil'],
      ['an invalid validUntil', { validUntil: new Date('nonsense') }, 'validUntil'],
      ['a negative minimum spend', { minSpendCents: -1 }, 'minSpendCents'],
      ['a fractional minimum spend', { minSpendCents: 0.5 }, 'minSpendCents'],
      ['a SECKILL coupon without a start', { saleStartsAt: null }, 'saleStartsAt'],
      ['a SECKILL coupon without an end', { saleEndsAt: null }, 'saleEndsAt'],
    ] as const)('refuses %s, naming the field', (_name, overrides, field) => {
      let thrown: unknown;
      try {
        couponDecider.decide(create(overrides), couponDecider.initialState);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ path: field }] } });
    });
    it.each([
      ['a window', { saleStartsAt: starts, saleEndsAt: ends }],
      ['a start', { saleStartsAt: starts }],
      ['an end', { saleEndsAt: ends }],
      ['a validUntil in the past', { validUntil: new Date('2026-11-24T09:59:59.999Z') }],
      ['a validUntil now', { validUntil: createdAt }],
    ])('refuses a REGULAR coupon with %s', (_name, overrides) =>
      spec.given([]).when(regular(overrides)).thenThrows('VALIDATION_FAILED'),
    );
  });

  describe('change the sale window', () => {
    const change = (saleStartsAt: Date, saleEndsAt: Date, now = createdAt): CouponCommand => ({
      type: 'ChangeSaleWindow',
      data: { couponId, saleStartsAt, saleEndsAt, now },
    });
    const later = { starts: new Date('2026-12-02T10:00:00Z'), ends: new Date('2026-12-02T14:00:00Z') };
    const changed: CouponEvent = {
      type: 'CouponSaleWindowChanged',
      schemaVersion: 1,
      data: {
        couponId,
        saleStartsAt: later.starts.toISOString(),
        saleEndsAt: later.ends.toISOString(),
        changedAt: createdAt.toISOString(),
      },
    };

    it('moves a window that has not opened', () =>
      spec.given([created]).when(change(later.starts, later.ends)).then([changed]));
    it('up to the last millisecond before it opens', () =>
      spec
        .given([created])
        .when(change(later.starts, later.ends, new Date(starts.getTime() - 1)))
        .then([
          { ...changed, data: { ...changed.data, changedAt: new Date(starts.getTime() - 1).toISOString() } },
        ]));
    it('leaves the new window in the state', () =>
      spec
        .given([created])
        .when(change(later.starts, later.ends))
        .thenState({
          ...created.data,
          status: 'active',
          deactivated: false,
          saleStartsAt: later.starts.toISOString(),
          saleEndsAt: later.ends.toISOString(),
        }));
    it('moves it again while it still has not opened', () =>
      spec
        .given([created, changed])
        .when(change(starts, ends, new Date('2026-12-01T11:00:00Z')))
        .then([
          {
            ...changed,
            data: {
              couponId,
              saleStartsAt: starts.toISOString(),
              saleEndsAt: ends.toISOString(),
              changedAt: '2026-12-01T11:00:00.000Z',
            },
          },
        ]));
    it('refuses once the window has opened', () =>
      spec
        .given([created])
        .when(change(later.starts, later.ends, starts))
        .thenThrows('SALE_ALREADY_STARTED'));
    it('refuses once a moved window has opened', () =>
      spec
        .given([created, changed])
        .when(change(starts, ends, later.starts))
        .thenThrows('SALE_ALREADY_STARTED'));
    it('refuses a REGULAR coupon', () =>
      spec
        .given([{ ...created, data: { ...created.data, couponType: 'REGULAR' } }])
        .when(change(later.starts, later.ends))
        .thenThrows('NOT_A_SECKILL_COUPON'));
    it('refuses a closed coupon', () =>
      spec.given([created, closed]).when(change(later.starts, later.ends)).thenThrows('COUPON_CLOSED'));
    it('refuses an unknown coupon', () =>
      spec.given([]).when(change(later.starts, later.ends)).thenThrows('COUPON_NOT_FOUND'));
    it.each([
      ['an empty window', later.starts, later.starts],
      ['a reversed window', later.ends, later.starts],
      ['a start before what we store', new Date('1999-12-31T23:59:59.999Z'), later.ends],
      ['an invalid end', later.starts, new Date('nonsense')],
    ])('refuses %s', (_name, from, to) =>
      spec.given([created]).when(change(from, to)).thenThrows('VALIDATION_FAILED'),
    );
    it("refuses a window ending at or after the coupon's validUntil", () =>
      spec
        .given([{ ...created, data: { ...created.data, validUntil: '2026-12-02T12:00:00.000Z' } }])
        .when(change(later.starts, later.ends))
        .thenThrows('VALIDATION_FAILED'));
  });

  describe('deactivate and reactivate', () => {
    const deactivate: CouponCommand = { type: 'DeactivateCoupon', data: { couponId, now: createdAt } };
    const reactivate: CouponCommand = { type: 'ReactivateCoupon', data: { couponId, now: createdAt } };
    const deactivated: CouponEvent = {
      type: 'CouponDeactivated',
      schemaVersion: 1,
      data: { couponId, deactivatedAt: createdAt.toISOString() },
    };
    const reactivated: CouponEvent = {
      type: 'CouponReactivated',
      schemaVersion: 1,
      data: { couponId, reactivatedAt: createdAt.toISOString() },
    };

    it('deactivates an active coupon', () => spec.given([created]).when(deactivate).then([deactivated]));
    it('leaves it deactivated', () =>
      spec
        .given([created])
        .when(deactivate)
        .thenState({ ...created.data, status: 'active', deactivated: true }));
    it('refuses to deactivate it twice', () =>
      spec.given([created, deactivated]).when(deactivate).thenThrows('COUPON_ALREADY_INACTIVE'));
    it('reactivates a deactivated coupon', () =>
      spec.given([created, deactivated]).when(reactivate).then([reactivated]));
    it('leaves it active again', () =>
      spec
        .given([created, deactivated])
        .when(reactivate)
        .thenState({ ...created.data, status: 'active', deactivated: false }));
    it('refuses to reactivate an active coupon', () =>
      spec.given([created]).when(reactivate).thenThrows('COUPON_ALREADY_ACTIVE'));
    it('deactivates it again after a reactivation', () =>
      spec.given([created, deactivated, reactivated]).when(deactivate).then([deactivated]));
    it.each([
      ['deactivate', deactivate],
      ['reactivate', reactivate],
    ])('refuses to %s a closed coupon', (_name, command) =>
      spec.given([created, deactivated, closed]).when(command).thenThrows('COUPON_CLOSED'),
    );
    it('refuses an unknown coupon', () => spec.given([]).when(deactivate).thenThrows('COUPON_NOT_FOUND'));
    it('still takes stock and closes while deactivated', () =>
      spec
        .given([created, deactivated])
        .when({ type: 'CloseCoupon', data: { couponId, now: ends } })
        .thenState({ ...created.data, status: 'closed', deactivated: true }));
  });

  describe('coupons stored by earlier releases (upcast on read)', () => {
    const v3: CouponEvent = {
      type: 'CouponCreated',
      schemaVersion: 3,
      data: {
        couponId,
        name: 'Ten off',
        description: '',
        faceValueCents: 1000,
        totalStock: 100,
        perUserLimit: 2,
        minAccountAgeSeconds: 0,
        saleStartsAt: starts.toISOString(),
        saleEndsAt: ends.toISOString(),
      },
    } as unknown as CouponEvent;
    const upcast = (event: CouponEvent) => decodeEvent(event) as CouponEvent;

    it('folds a v3 coupon as a rule-free SECKILL coupon', () =>
      spec
        .given([upcast(v3)])
        .when(deactivate())
        .thenState({ ...created.data, status: 'active', deactivated: true }));
    it('moves the window of a v1 coupon (no description, no account-age rule) that has not opened', () => {
      const { description: _d, minAccountAgeSeconds: _m, ...v1data } = (v3 as CouponCreated).data;
      const v1 = upcast({ ...v3, schemaVersion: 1, data: v1data } as unknown as CouponEvent);
      spec
        .given([v1])
        .when({
          type: 'ChangeSaleWindow',
          data: {
            couponId,
            saleStartsAt: ends,
            saleEndsAt: new Date('2026-12-01T13:00:00Z'),
            now: createdAt,
          },
        })
        .then([
          {
            type: 'CouponSaleWindowChanged',
            schemaVersion: 1,
            data: {
              couponId,
              saleStartsAt: ends.toISOString(),
              saleEndsAt: '2026-12-01T13:00:00.000Z',
              changedAt: createdAt.toISOString(),
            },
          },
        ]);
    });
    function deactivate(): CouponCommand {
      return { type: 'DeactivateCoupon', data: { couponId, now: createdAt } };
    }
  });
});
