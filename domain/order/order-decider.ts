import { DomainError, invalid } from '../shared/domain-error';
import { assertNever, type Decider } from '../shared/event';
import type { CouponType, CouponValidity } from '../coupon/coupon-events';
import type { OrderEvent } from './order-events';

/**
 * placed → used | cancelled | expired. `EXPIRED`: its validity ended while it was placed and unused (OrderExpired,
 * appended by the expiry process); like a used or cancelled order it changes no more.
 */
export const ORDER_STATUSES = ['PLACED', 'CANCELLED', 'USED', 'EXPIRED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export type OrderState =
  | { readonly status: 'absent' }
  | { readonly status: 'abandoned' }
  | {
      readonly status: OrderStatus;
      readonly orderId: string;
      readonly couponId: string;
      readonly userId: string;
      readonly placedAt: string;
      /** The least order amount it may be used on, in cents (0: none), fixed at placement. */
      readonly minSpendCents: number;
      /** It is usable while now < validUntil (ISO-8601); null: for ever. Fixed at placement. */
      readonly validUntil: string | null;
      /** OrderExpiryNoticed is stored: the buyer was told once, and never is again. */
      readonly expiryNoticed: boolean;
    };

interface OrderRef {
  orderId: string;
  couponId: string;
  userId: string;
}

/** A day of validity, in ms: `validDays` counts whole 24-hour days from the moment the order is placed. */
const DAY_MS = 86_400_000;

/**
 * What an order takes from its coupon when it is placed (the stock gate hands them over in the same round trip that
 * reserved the unit): its type, its minimum spend, and its validity rule, which fixes the order's `validUntil`.
 */
export interface OrderTerms extends CouponValidity {
  readonly couponType: CouponType;
  readonly minSpendCents: number;
}

export type PlaceOrder = {
  readonly type: 'PlaceOrder';
  readonly data: OrderRef & { now: Date; idempotencyKey: string | null; terms: OrderTerms };
};

/** When an order placed at `placedAt` stops being usable: `validDays` after it, the fixed time, or never (null). */
export const orderValidUntil = (terms: CouponValidity, placedAt: Date): string | null => {
  if (terms.validDays !== null) return new Date(placedAt.getTime() + terms.validDays * DAY_MS).toISOString();
  return terms.validUntil === null ? null : new Date(terms.validUntil).toISOString();
};
export type CancelOrder = {
  readonly type: 'CancelOrder';
  readonly data: { orderId: string; byUserId: string; now: Date };
};
/** `amountCents`: the amount of the purchase it is used on, in cents; required when the order has a minimum spend. */
export type UseOrder = {
  readonly type: 'UseOrder';
  readonly data: { orderId: string; byUserId: string; now: Date; amountCents: number | null };
};
/** The expiry process: the order's validity has ended (`now` ≥ validUntil). */
export type ExpireOrder = {
  readonly type: 'ExpireOrder';
  readonly data: { orderId: string; now: Date };
};
/** The expiry process: the order's validity ends within `leadMs` of `now`; the buyer is to be told, once. */
export type NoticeOrderExpiry = {
  readonly type: 'NoticeOrderExpiry';
  readonly data: { orderId: string; now: Date; leadMs: number };
};
export type AbandonSeckill = {
  readonly type: 'AbandonSeckill';
  readonly data: OrderRef & { now: Date; reason: string };
};
export type OrderCommand =
  PlaceOrder | CancelOrder | UseOrder | ExpireOrder | NoticeOrderExpiry | AbandonSeckill;

type LiveOrder = Extract<OrderState, { orderId: string }>;

const requireOwnedOrder = (state: OrderState, orderId: string, byUserId: string): LiveOrder => {
  if (state.status === 'absent' || state.status === 'abandoned')
    throw new DomainError('ORDER_NOT_FOUND', `order ${orderId} does not exist`);
  if (state.userId !== byUserId)
    throw new DomainError('NOT_ORDER_OWNER', `order ${orderId} belongs to another user`, { orderId });
  return state;
};

const isLive = (state: OrderState): state is LiveOrder => 'orderId' in state;

/** Its validity has ended at `now`: validUntil is the first instant it is no longer usable. */
const hasEnded = (order: LiveOrder, now: Date): order is LiveOrder & { validUntil: string } =>
  order.validUntil !== null && now.getTime() >= Date.parse(order.validUntil);

/** An expired order, whether the expiry process has stored it yet or not, can be neither used nor cancelled. */
const requireValid = (order: LiveOrder, now: Date, verb: 'used' | 'cancelled'): void => {
  if (order.status === 'EXPIRED' || hasEnded(order, now))
    throw new DomainError(
      'ORDER_EXPIRED',
      `order ${order.orderId} expired at ${String(order.validUntil)} and cannot be ${verb}`,
      { orderId: order.orderId, validUntil: order.validUntil },
    );
};

const requireFresh = (state: OrderState, orderId: string): void => {
  if (state.status !== 'absent')
    throw new DomainError('ORDER_ALREADY_EXISTS', `order ${orderId} already exists`);
};

const decide = (command: OrderCommand, state: OrderState): OrderEvent[] => {
  switch (command.type) {
    case 'PlaceOrder': {
      const { now, terms, orderId, couponId, userId, idempotencyKey } = command.data;
      requireFresh(state, orderId);
      return [
        {
          type: 'OrderPlaced',
          schemaVersion: 2,
          data: {
            orderId,
            couponId,
            userId,
            idempotencyKey,
            placedAt: now.toISOString(),
            couponType: terms.couponType,
            minSpendCents: terms.minSpendCents,
            validUntil: orderValidUntil(terms, now),
          },
        },
      ];
    }
    case 'AbandonSeckill': {
      const { now, ...data } = command.data;
      requireFresh(state, data.orderId);
      return [
        { type: 'SeckillAbandoned', schemaVersion: 1, data: { ...data, abandonedAt: now.toISOString() } },
      ];
    }
    case 'CancelOrder': {
      const order = requireOwnedOrder(state, command.data.orderId, command.data.byUserId);
      if (order.status === 'CANCELLED')
        throw new DomainError('ORDER_ALREADY_CANCELLED', `order ${order.orderId} is already cancelled`);
      if (order.status === 'USED')
        throw new DomainError(
          'ORDER_ALREADY_USED',
          `order ${order.orderId} was used and cannot be cancelled`,
        );
      // Once its validity ended the order is expired, stored or not: cancelling it then would hand back a unit that
      // expiry keeps (see the README, "Order lifecycle").
      requireValid(order, command.data.now, 'cancelled');
      const { orderId, couponId, userId } = order;
      return [
        {
          type: 'OrderCancelled',
          schemaVersion: 1,
          data: { orderId, couponId, userId, cancelledAt: command.data.now.toISOString() },
        },
      ];
    }
    case 'UseOrder': {
      const { now, amountCents } = command.data;
      const order = requireOwnedOrder(state, command.data.orderId, command.data.byUserId);
      if (order.status === 'CANCELLED')
        throw new DomainError('ORDER_CANCELLED', `order ${order.orderId} was cancelled and cannot be used`);
      if (order.status === 'USED')
        throw new DomainError('ORDER_ALREADY_USED', `order ${order.orderId} is already used`);
      requireValid(order, now, 'used');
      if (amountCents !== null && (!Number.isSafeInteger(amountCents) || amountCents < 0))
        throw invalid('amountCents', 'must be a whole number of cents, 0 or more');
      if (order.minSpendCents > 0) {
        if (amountCents === null)
          throw invalid(
            'amountCents',
            `is required: the order may be used only on a purchase of at least ${order.minSpendCents} cents`,
          );
        if (amountCents < order.minSpendCents)
          throw new DomainError(
            'MIN_SPEND_NOT_MET',
            `order ${order.orderId} may be used only on a purchase of at least ${order.minSpendCents} cents, not ${amountCents}`,
            { minSpendCents: order.minSpendCents, amountCents },
          );
      }
      const { orderId, couponId, userId } = order;
      return [
        {
          type: 'OrderUsed',
          schemaVersion: 2,
          data: { orderId, couponId, userId, usedAt: now.toISOString(), amountCents },
        },
      ];
    }
    case 'ExpireOrder': {
      // Idempotent and safe to decide on any replica: an order that is not (or no longer) placed, or whose validity
      // has not ended, gives nothing to append.
      const { now } = command.data;
      if (!isLive(state) || state.status !== 'PLACED' || !hasEnded(state, now)) return [];
      const { orderId, couponId, userId } = state;
      return [
        {
          type: 'OrderExpired',
          schemaVersion: 1,
          data: { orderId, couponId, userId, expiredAt: now.toISOString(), validUntil: state.validUntil },
        },
      ];
    }
    case 'NoticeOrderExpiry': {
      // Once per order: never again after OrderExpiryNoticed, never for an order that is no longer placed, and not
      // once its validity has ended (it expires instead).
      const { now, leadMs } = command.data;
      if (!isLive(state) || state.status !== 'PLACED' || state.expiryNoticed || state.validUntil === null)
        return [];
      const validUntil = Date.parse(state.validUntil);
      if (now.getTime() < validUntil - leadMs || now.getTime() >= validUntil) return [];
      const { orderId, couponId, userId } = state;
      return [
        {
          type: 'OrderExpiryNoticed',
          schemaVersion: 1,
          data: { orderId, couponId, userId, noticedAt: now.toISOString(), validUntil: state.validUntil },
        },
      ];
    }
    default:
      return assertNever(command);
  }
};

const evolve = (state: OrderState, event: OrderEvent): OrderState => {
  switch (event.type) {
    case 'OrderPlaced': {
      const { orderId, couponId, userId, placedAt, minSpendCents, validUntil } = event.data;
      return {
        status: 'PLACED',
        orderId,
        couponId,
        userId,
        placedAt,
        minSpendCents,
        validUntil,
        expiryNoticed: false,
      };
    }
    case 'SeckillAbandoned':
      return { status: 'abandoned' };
    case 'OrderCancelled':
      return isLive(state) ? { ...state, status: 'CANCELLED' } : state;
    case 'OrderUsed':
      return isLive(state) ? { ...state, status: 'USED' } : state;
    case 'OrderExpired':
      return isLive(state) ? { ...state, status: 'EXPIRED' } : state;
    case 'OrderExpiryNoticed':
      return isLive(state) ? { ...state, expiryNoticed: true } : state;
    default:
      return assertNever(event);
  }
};

export const orderDecider: Decider<OrderCommand, OrderEvent, OrderState> = {
  decide,
  evolve,
  initialState: { status: 'absent' },
};
