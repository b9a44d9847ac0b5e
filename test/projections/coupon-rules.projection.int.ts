import { couponsProjection } from '../../projections/coupons/coupons-projection';
import { COUPON_COLUMNS, couponsTable } from '../../projections/coupons/coupons-tables';
import { ProjectionSpecification, storedEvents } from '../support/projection-specification';

const REGULAR = '01900000-0000-7000-8000-00000000d001';
const MOVED = '01900000-0000-7000-8000-00000000d002';
const OLD = '01900000-0000-7000-8000-00000000d003';

const created = (couponId: string, data: Record<string, unknown>) =>
  [
    `coupon-${couponId}`,
    {
      type: 'CouponCreated',
      schemaVersion: 4,
      data: {
        couponId,
        couponType: 'SECKILL',
        name: `coupon ${couponId.slice(-4)}`,
        description: '',
        faceValueCents: 100,
        totalStock: 5,
        perUserLimit: 1,
        minAccountAgeSeconds: 0,
        minSpendCents: 0,
        saleStartsAt: '2026-03-01T00:00:00.000Z',
        saleEndsAt: '2026-03-02T00:00:00.000Z',
        validDays: null,
        validUntil: null,
        ...data,
      },
    },
  ] as const;
const coupon = (couponId: string, type: string, data: Record<string, unknown>) =>
  [`coupon-${couponId}`, { type, schemaVersion: 1, data: { couponId, ...data } }] as const;
const at = '2026-02-01T00:00:00.000Z';

/**
 * A REGULAR coupon with usage rules; a SECKILL coupon whose window moves twice and which is deactivated, reactivated
 * and deactivated again; a coupon of the release before types (CouponCreated v3, upcast) deactivated and reactivated.
 * The spec also applies them again, and shuffled and duplicated: the window and the flag follow their newest revision.
 */
const HISTORY = storedEvents([
  created(REGULAR, {
    couponType: 'REGULAR',
    saleStartsAt: '2000-01-01T00:00:00.000Z',
    saleEndsAt: '9999-12-31T23:59:59.999Z',
    minSpendCents: 4999,
    validDays: 30,
  }),
  created(MOVED, { validUntil: '2026-06-01T00:00:00.000Z' }),
  coupon(MOVED, 'CouponSaleWindowChanged', {
    saleStartsAt: '2026-04-01T00:00:00.000Z',
    saleEndsAt: '2026-04-02T00:00:00.000Z',
    changedAt: at,
  }),
  coupon(MOVED, 'CouponDeactivated', { deactivatedAt: at }),
  coupon(MOVED, 'CouponSaleWindowChanged', {
    saleStartsAt: '2026-05-01T00:00:00.000Z',
    saleEndsAt: '2026-05-02T00:00:00.500Z',
    changedAt: at,
  }),
  coupon(MOVED, 'CouponReactivated', { reactivatedAt: at }),
  coupon(MOVED, 'CouponDeactivated', { deactivatedAt: at }),
  [
    `coupon-${OLD}`,
    {
      type: 'CouponCreated',
      schemaVersion: 3,
      data: {
        couponId: OLD,
        name: 'old',
        description: '',
        faceValueCents: 100,
        totalStock: 5,
        perUserLimit: 1,
        minAccountAgeSeconds: 0,
        saleStartsAt: '2026-03-01T00:00:00.000Z',
        saleEndsAt: '2026-03-02T00:00:00.000Z',
      },
    },
  ],
  coupon(OLD, 'CouponDeactivated', { deactivatedAt: at }),
  coupon(OLD, 'CouponReactivated', { reactivatedAt: at }),
]);

describe('coupons read model: types, usage rules, window changes, deactivation (projection spec on MariaDB)', () => {
  it('holds each coupon’s type and rules, its newest window and its newest activity, whatever the order', () =>
    ProjectionSpecification.for(couponsProjection, { shards: 3 })
      .given(HISTORY)
      .then(
        async (query, suffix) =>
          (await query(`SELECT ${COUPON_COLUMNS} FROM ${couponsTable(suffix)} ORDER BY coupon_id`))
            .sort((a, b) => (String(a.coupon_id) < String(b.coupon_id) ? -1 : 1))
            .map((r) => ({
              couponId: r.coupon_id,
              couponType: r.coupon_type,
              minSpendCents: Number(r.min_spend_cents),
              validDays: r.valid_days === null ? null : Number(r.valid_days),
              validUntil: r.valid_until === null ? null : (r.valid_until as Date).toISOString(),
              saleStartsAt: (r.sale_starts_at as Date).toISOString(),
              saleEndsAt: (r.sale_ends_at as Date).toISOString(),
              inactive: Number(r.inactive),
            })),
        [
          {
            couponId: REGULAR,
            couponType: 'REGULAR',
            minSpendCents: 4999,
            validDays: 30,
            validUntil: null,
            saleStartsAt: '2000-01-01T00:00:00.000Z',
            saleEndsAt: '9999-12-31T23:59:59.999Z',
            inactive: 0,
          },
          {
            couponId: MOVED,
            couponType: 'SECKILL',
            minSpendCents: 0,
            validDays: null,
            validUntil: '2026-06-01T00:00:00.000Z',
            saleStartsAt: '2026-05-01T00:00:00.000Z',
            saleEndsAt: '2026-05-02T00:00:00.500Z',
            inactive: 1,
          },
          {
            couponId: OLD,
            couponType: 'SECKILL',
            minSpendCents: 0,
            validDays: null,
            validUntil: null,
            saleStartsAt: '2026-03-01T00:00:00.000Z',
            saleEndsAt: '2026-03-02T00:00:00.000Z',
            inactive: 0,
          },
        ],
      ));
});
