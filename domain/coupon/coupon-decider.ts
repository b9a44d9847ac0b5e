import { DomainError, invalid } from '../shared/domain-error';
import { assertNever, type Decider } from '../shared/event';
import { isWellFormedText } from '../shared/text';
import type { CouponEvent, CouponType } from './coupon-events';

export const MAX_STOCK = 100_000_000;
export const MAX_PER_USER_LIMIT = 100;
export const MAX_DESCRIPTION_LENGTH = 2000;
/** The longest account-age rule a coupon may carry: ten years (365-day), in seconds. */
export const MAX_MIN_ACCOUNT_AGE_SECONDS = 315_360_000;
/** Sale times every store of ours holds exactly: MySQL DATETIME(3) and JavaScript dates, to the millisecond. */
export const SALE_WINDOW_BOUNDS = {
  earliest: new Date('2000-01-01T00:00:00.000Z'),
  latest: new Date('9999-12-31T23:59:59.999Z'),
} as const;

export type CouponState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'active' | 'closed';
      readonly couponId: string;
      readonly name: string;
      readonly description: string;
      readonly faceValueCents: number;
      readonly totalStock: number;
      readonly perUserLimit: number;
      /** A buyer's account must be at least this old to buy, in seconds (0: no such rule). */
      readonly minAccountAgeSeconds: number;
      readonly saleStartsAt: string;
      readonly saleEndsAt: string;
      readonly couponType: CouponType;
      readonly minSpendCents: number;
      readonly validDays: number | null;
      readonly validUntil: string | null;
    };

export type ExistingCoupon = Exclude<CouponState, { status: 'absent' }>;

export type CreateCoupon = {
  readonly type: 'CreateCoupon';
  readonly data: {
    couponId: string;
    name: string;
    description: string;
    faceValueCents: number;
    totalStock: number;
    perUserLimit: number;
    minAccountAgeSeconds: number;
    saleStartsAt: Date;
    saleEndsAt: Date;
  };
};
export type AddStock = { readonly type: 'AddStock'; readonly data: { couponId: string; quantity: number } };
export type CloseCoupon = { readonly type: 'CloseCoupon'; readonly data: { couponId: string; now: Date } };
export type CouponCommand = CreateCoupon | AddStock | CloseCoupon;

const isWholeNumberIn = (value: number, min: number, max: number): boolean =>
  Number.isSafeInteger(value) && value >= min && value <= max;

const create = ({ data }: CreateCoupon, state: CouponState): CouponEvent[] => {
  if (state.status !== 'absent')
    throw new DomainError('COUPON_ALREADY_EXISTS', `coupon ${data.couponId} already exists`);
  const name = data.name.trim();
  if (name.length === 0 || name.length > 200)
    throw invalid('name', 'must be 1 to 200 characters once trimmed');
  const description = data.description.trim();
  if (description.length > MAX_DESCRIPTION_LENGTH)
    throw invalid('description', `must be at most ${MAX_DESCRIPTION_LENGTH} characters`);
  if (!isWholeNumberIn(data.faceValueCents, 0, Number.MAX_SAFE_INTEGER))
    throw invalid('faceValueCents', 'must be a whole number of cents, 0 or more');
  if (!isWholeNumberIn(data.totalStock, 1, MAX_STOCK))
    throw invalid('totalStock', `must be a whole number from 1 to ${MAX_STOCK}`);
  if (!isWholeNumberIn(data.perUserLimit, 1, MAX_PER_USER_LIMIT))
    throw invalid('perUserLimit', `must be a whole number from 1 to ${MAX_PER_USER_LIMIT}`);
  if (!isWholeNumberIn(data.minAccountAgeSeconds, 0, MAX_MIN_ACCOUNT_AGE_SECONDS))
    throw invalid(
      'minAccountAgeSeconds',
      `must be a whole number of seconds from 0 to ${MAX_MIN_ACCOUNT_AGE_SECONDS}`,
    );
  const { earliest, latest } = SALE_WINDOW_BOUNDS;
  for (const [field, time] of [
    ['saleStartsAt', data.saleStartsAt],
    ['saleEndsAt', data.saleEndsAt],
  ] as const)
    if (Number.isNaN(time.getTime()) || time < earliest || time > latest)
      throw invalid(field, `must be a time from ${earliest.toISOString()} to ${latest.toISOString()}`);
  if (!isWellFormedText(name)) throw invalid('name', 'must be well-formed text');
  if (!isWellFormedText(description)) throw invalid('description', 'must be well-formed text');
  if (data.saleStartsAt >= data.saleEndsAt) throw invalid('saleStartsAt', 'must be before saleEndsAt');
  return [
    {
      type: 'CouponCreated',
      schemaVersion: 4,
      data: {
        couponId: data.couponId,
        couponType: 'SECKILL',
        name,
        description,
        faceValueCents: data.faceValueCents,
        totalStock: data.totalStock,
        perUserLimit: data.perUserLimit,
        minAccountAgeSeconds: data.minAccountAgeSeconds,
        minSpendCents: 0,
        saleStartsAt: data.saleStartsAt.toISOString(),
        saleEndsAt: data.saleEndsAt.toISOString(),
        validDays: null,
        validUntil: null,
      },
    },
  ];
};

const requireOpen = (state: CouponState, couponId: string): ExistingCoupon => {
  if (state.status === 'absent')
    throw new DomainError('COUPON_NOT_FOUND', `coupon ${couponId} does not exist`);
  if (state.status === 'closed') throw new DomainError('COUPON_CLOSED', `coupon ${couponId} is closed`);
  return state;
};

const addStock = ({ data }: AddStock, state: CouponState): CouponEvent[] => {
  const coupon = requireOpen(state, data.couponId);
  if (!isWholeNumberIn(data.quantity, 1, MAX_STOCK))
    throw invalid('quantity', `must be a whole number from 1 to ${MAX_STOCK}`);
  const totalStock = coupon.totalStock + data.quantity;
  if (totalStock > MAX_STOCK) throw invalid('quantity', `would take the total stock past ${MAX_STOCK}`);
  return [
    {
      type: 'CouponStockAdded',
      schemaVersion: 1,
      data: { couponId: data.couponId, quantity: data.quantity, totalStock },
    },
  ];
};

const close = ({ data }: CloseCoupon, state: CouponState): CouponEvent[] => {
  requireOpen(state, data.couponId);
  return [
    {
      type: 'CouponClosed',
      schemaVersion: 1,
      data: { couponId: data.couponId, closedAt: data.now.toISOString() },
    },
  ];
};

const decide = (command: CouponCommand, state: CouponState): CouponEvent[] => {
  switch (command.type) {
    case 'CreateCoupon':
      return create(command, state);
    case 'AddStock':
      return addStock(command, state);
    case 'CloseCoupon':
      return close(command, state);
    default:
      return assertNever(command);
  }
};

const evolve = (state: CouponState, event: CouponEvent): CouponState => {
  switch (event.type) {
    case 'CouponCreated':
      return { status: 'active', ...event.data };
    case 'CouponStockAdded':
      return state.status === 'absent' ? state : { ...state, totalStock: event.data.totalStock };
    case 'CouponClosed':
      return state.status === 'absent' ? state : { ...state, status: 'closed' };
    case 'CouponSaleWindowChanged':
    case 'CouponDeactivated':
    case 'CouponReactivated':
      return state;
    default:
      return assertNever(event);
  }
};

export const couponDecider: Decider<CouponCommand, CouponEvent, CouponState> = {
  decide,
  evolve,
  initialState: { status: 'absent' },
};
