import { DomainError } from '../shared/domain-error';
import { assertNever, type Decider } from '../shared/event';
import type { CouponType, CouponValidity } from '../coupon/coupon-events';
import type { OrderEvent } from './order-events';

export type OrderStatus = 'PLACED' | 'CANCELLED' | 'USED';

export type OrderState =
  | { readonly status: 'absent' }
  | { readonly status: 'abandoned' }
  | {
      readonly status: OrderStatus;
      readonly orderId: string;
      readonly couponId: string;
      readonly userId: string;
      readonly placedAt: string;
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
export type UseOrder = {
  readonly type: 'UseOrder';
  readonly data: { orderId: string; byUserId: string; now: Date };
};
export type AbandonSeckill = {
  readonly type: 'AbandonSeckill';
  readonly data: OrderRef & { now: Date; reason: string };
};
export type OrderCommand = PlaceOrder | CancelOrder | UseOrder | AbandonSeckill;

type LiveOrder = Extract<OrderState, { orderId: string }>;

const requireOwnedOrder = (state: OrderState, orderId: string, byUserId: string): LiveOrder => {
  if (state.status === 'absent' || state.status === 'abandoned')
    throw new DomainError('ORDER_NOT_FOUND', `order ${orderId} does not exist`);
  if (state.userId !== byUserId)
    throw new DomainError('NOT_ORDER_OWNER', `order ${orderId} belongs to another user`, { orderId });
  return state;
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
      const order = requireOwnedOrder(state, command.data.orderId, command.data.byUserId);
      if (order.status === 'CANCELLED')
        throw new DomainError('ORDER_CANCELLED', `order ${order.orderId} was cancelled and cannot be used`);
      if (order.status === 'USED')
        throw new DomainError('ORDER_ALREADY_USED', `order ${order.orderId} is already used`);
      const { orderId, couponId, userId } = order;
      return [
        {
          type: 'OrderUsed',
          schemaVersion: 2,
          data: { orderId, couponId, userId, usedAt: command.data.now.toISOString(), amountCents: null },
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
      const { orderId, couponId, userId, placedAt } = event.data;
      return { status: 'PLACED', orderId, couponId, userId, placedAt };
    }
    case 'SeckillAbandoned':
      return { status: 'abandoned' };
    case 'OrderCancelled':
      return 'orderId' in state ? { ...state, status: 'CANCELLED' } : state;
    case 'OrderUsed':
      return 'orderId' in state ? { ...state, status: 'USED' } : state;
    case 'OrderExpiryNoticed':
    case 'OrderExpired':
      return state;
    default:
      return assertNever(event);
  }
};

export const orderDecider: Decider<OrderCommand, OrderEvent, OrderState> = {
  decide,
  evolve,
  initialState: { status: 'absent' },
};
