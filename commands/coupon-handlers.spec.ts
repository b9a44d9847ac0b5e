import { DomainError } from '../domain/shared/domain-error';
import {
  aCoupon,
  as,
  at,
  couponClosed,
  couponCreated,
  couponDeactivated,
  couponSaleWindowChanged,
  HandlerSpecification,
  loadGate,
  type World,
} from '../test/support/handler-specification';

const couponId = 'c-1';
const coupon = aCoupon({
  couponId,
  saleStartsAt: '2026-06-02T10:00:00.000Z',
  saleEndsAt: '2026-06-02T12:00:00.000Z',
});
const spec = HandlerSpecification.for();
const admin = as('admin-1');

const rulesOf = async (w: World) => (await w.gate.state(couponId))?.rules;

describe('CouponHandlers', () => {
  it('creates a REGULAR coupon with its rules, and loads them into the gate', () =>
    spec
      .given()
      .when((w) =>
        w.coupons.create(
          {
            couponType: 'REGULAR',
            name: 'Welcome',
            faceValueCents: 500,
            totalStock: 10,
            perUserLimit: 1,
            minSpendCents: 3000,
            validDays: 14,
          },
          admin,
        ),
      )
      .then({
        events: [
          expect.objectContaining({
            type: 'CouponCreated',
            schemaVersion: 4,
            data: expect.objectContaining({
              couponType: 'REGULAR',
              minSpendCents: 3000,
              validDays: 14,
              validUntil: null,
              saleStartsAt: '2000-01-01T00:00:00.000Z',
              saleEndsAt: '9999-12-31T23:59:59.999Z',
            }),
          }),
        ],
        result: expect.objectContaining({ couponType: 'REGULAR', status: 'ACTIVE', validDays: 14 }),
        and: async (w, _appended, result) =>
          expect((await w.gate.state(result.couponId))?.rules).toEqual({
            couponType: 'REGULAR',
            deactivated: false,
            saleStartsAtMs: Date.parse('2000-01-01T00:00:00.000Z'),
            saleEndsAtMs: Date.parse('9999-12-31T23:59:59.999Z'),
            minSpendCents: 3000,
            validDays: 14,
            validUntilMs: null,
          }),
      }));

  it('moves the window before it opens: event, answer and gate', () =>
    spec
      .given(couponCreated(coupon), loadGate)
      .when((w) =>
        w.coupons.changeSaleWindow(
          couponId,
          { saleStartsAt: new Date('2026-06-03T10:00:00Z'), saleEndsAt: new Date('2026-06-03T12:00:00Z') },
          admin,
        ),
      )
      .then({
        events: [
          couponSaleWindowChanged(
            couponId,
            '2026-06-03T10:00:00.000Z',
            '2026-06-03T12:00:00.000Z',
            '2026-06-01T12:00:00.000Z',
          ),
        ],
        result: expect.objectContaining({
          saleStartsAt: '2026-06-03T10:00:00.000Z',
          saleEndsAt: '2026-06-03T12:00:00.000Z',
          revision: '1',
        }),
        and: async (w) =>
          expect(await rulesOf(w)).toMatchObject({
            saleStartsAtMs: Date.parse('2026-06-03T10:00:00Z'),
            saleEndsAtMs: Date.parse('2026-06-03T12:00:00Z'),
          }),
      }));

  it('refuses to move a window that has opened, writing nothing', () =>
    spec
      .given(couponCreated(coupon), loadGate, at('2026-06-02T10:00:00.000Z'))
      .when((w) =>
        w.coupons.changeSaleWindow(
          couponId,
          { saleStartsAt: new Date('2026-06-03T10:00:00Z'), saleEndsAt: new Date('2026-06-03T12:00:00Z') },
          admin,
        ),
      )
      .thenThrows(
        DomainError,
        { code: 'SALE_ALREADY_STARTED' },
        {
          and: async (w) =>
            expect(await rulesOf(w)).toMatchObject({ saleStartsAtMs: Date.parse(coupon.saleStartsAt) }),
        },
      ));

  it('deactivates: INACTIVE answered, the gate deactivated', () =>
    spec
      .given(couponCreated(coupon), loadGate)
      .when((w) => w.coupons.deactivate(couponId, admin))
      .then({
        events: [couponDeactivated(couponId)],
        result: expect.objectContaining({ status: 'INACTIVE', revision: '1' }),
        and: async (w) => expect(await rulesOf(w)).toMatchObject({ deactivated: true }),
      }));

  it('reactivates: ACTIVE answered, the gate active again', () =>
    spec
      .given(couponCreated(coupon), couponDeactivated(couponId), loadGate)
      .when((w) => w.coupons.reactivate(couponId, admin))
      .then({
        events: [expect.objectContaining({ type: 'CouponReactivated' })],
        result: expect.objectContaining({ status: 'ACTIVE' }),
        and: async (w) => expect(await rulesOf(w)).toMatchObject({ deactivated: false }),
      }));

  it('answers CLOSED for a closed coupon even while deactivated', () =>
    spec
      .given(couponCreated(coupon), couponDeactivated(couponId), loadGate)
      .when((w) => w.coupons.close(couponId, admin))
      .then({
        events: [couponClosed(couponId)],
        result: expect.objectContaining({ status: 'CLOSED' }),
      }));

  it('refuses to deactivate twice, writing nothing', () =>
    spec
      .given(couponCreated(coupon), couponDeactivated(couponId), loadGate)
      .when((w) => w.coupons.deactivate(couponId, admin))
      .thenThrows(DomainError, { code: 'COUPON_ALREADY_INACTIVE' }));
});
