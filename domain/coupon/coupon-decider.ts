import { DomainError, invalid } from '../shared/domain-error';
import { assertNever, type Decider } from '../shared/event';
import { isWellFormedText } from '../shared/text';
import type { CouponEvent, CouponType, CouponValidity } from './coupon-events';

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
/** The longest `validDays` a coupon may carry: ten years of days. */
export const MAX_VALID_DAYS = 3650;

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
      /** The least purchase, in cents, an order of this coupon may be used on (0: none). */
      readonly minSpendCents: number;
      /** Orders are usable this many whole days after they are placed (null: see `validUntil`). */
      readonly validDays: number | null;
      /** Orders are usable until this time, ISO-8601 (null: see `validDays`; both null: for ever). */
      readonly validUntil: string | null;
      /** Deactivated by an admin: it sells and lets claim nothing until reactivated. */
      readonly deactivated: boolean;
    };

export type ExistingCoupon = Exclude<CouponState, { status: 'absent' }>;

/**
 * A new coupon. A `SECKILL` coupon needs its sale window; a `REGULAR` one takes none (both null) and is stored with
 * the always-open window SALE_WINDOW_BOUNDS, so the gate's window check passes it at every time we can store. At most
 * one of `validDays` and `validUntil`; `validUntil` must come after the sale window ends (a `SECKILL` coupon: an order
 * placed in the window's last millisecond must still be usable) or after `now` (a `REGULAR` one).
 */
export type CreateCoupon = {
  readonly type: 'CreateCoupon';
  readonly data: {
    couponId: string;
    couponType: CouponType;
    name: string;
    description: string;
    faceValueCents: number;
    totalStock: number;
    perUserLimit: number;
    minAccountAgeSeconds: number;
    minSpendCents: number;
    saleStartsAt: Date | null;
    saleEndsAt: Date | null;
    validDays: number | null;
    validUntil: Date | null;
    now: Date;
  };
};
export type AddStock = { readonly type: 'AddStock'; readonly data: { couponId: string; quantity: number } };
export type CloseCoupon = { readonly type: 'CloseCoupon'; readonly data: { couponId: string; now: Date } };
/** Moves the sale window of a `SECKILL` coupon whose window has not opened yet (at `now`). */
export type ChangeSaleWindow = {
  readonly type: 'ChangeSaleWindow';
  readonly data: { couponId: string; saleStartsAt: Date; saleEndsAt: Date; now: Date };
};
export type DeactivateCoupon = {
  readonly type: 'DeactivateCoupon';
  readonly data: { couponId: string; now: Date };
};
export type ReactivateCoupon = {
  readonly type: 'ReactivateCoupon';
  readonly data: { couponId: string; now: Date };
};
export type CouponCommand =
  CreateCoupon | AddStock | CloseCoupon | ChangeSaleWindow | DeactivateCoupon | ReactivateCoupon;

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
  if (!isWholeNumberIn(data.minSpendCents, 0, Number.MAX_SAFE_INTEGER))
    throw invalid('minSpendCents', 'must be a whole number of cents, 0 or more');
  if (!isWellFormedText(name)) throw invalid('name', 'must be well-formed text');
  if (!isWellFormedText(description)) throw invalid('description', 'must be well-formed text');
  const window = windowOf(data);
  const validity = validityOf(data, window);
  return [
    {
      type: 'CouponCreated',
      schemaVersion: 4,
      data: {
        couponId: data.couponId,
        couponType: data.couponType,
        name,
        description,
        faceValueCents: data.faceValueCents,
        totalStock: data.totalStock,
        perUserLimit: data.perUserLimit,
        minAccountAgeSeconds: data.minAccountAgeSeconds,
        minSpendCents: data.minSpendCents,
        saleStartsAt: window.saleStartsAt.toISOString(),
        saleEndsAt: window.saleEndsAt.toISOString(),
        ...validity,
      },
    },
  ];
};

interface SaleWindow {
  readonly saleStartsAt: Date;
  readonly saleEndsAt: Date;
}

const isStorableTime = (time: Date): boolean =>
  !Number.isNaN(time.getTime()) && time >= SALE_WINDOW_BOUNDS.earliest && time <= SALE_WINDOW_BOUNDS.latest;

const storableRule = `must be a time from ${SALE_WINDOW_BOUNDS.earliest.toISOString()} to ${SALE_WINDOW_BOUNDS.latest.toISOString()}`;

/** A window every store holds exactly, starting before it ends. */
const checkWindow = (window: SaleWindow): SaleWindow => {
  for (const [field, time] of [
    ['saleStartsAt', window.saleStartsAt],
    ['saleEndsAt', window.saleEndsAt],
  ] as const)
    if (!isStorableTime(time)) throw invalid(field, storableRule);
  if (window.saleStartsAt >= window.saleEndsAt) throw invalid('saleStartsAt', 'must be before saleEndsAt');
  return window;
};

/** A `SECKILL` coupon's own window; a `REGULAR` coupon's always-open one. */
const windowOf = (data: CreateCoupon['data']): SaleWindow => {
  if (data.couponType === 'REGULAR') {
    if (data.saleStartsAt !== null)
      throw invalid('saleStartsAt', 'must be absent: a REGULAR coupon has no sale window');
    if (data.saleEndsAt !== null)
      throw invalid('saleEndsAt', 'must be absent: a REGULAR coupon has no sale window');
    return { saleStartsAt: SALE_WINDOW_BOUNDS.earliest, saleEndsAt: SALE_WINDOW_BOUNDS.latest };
  }
  if (data.saleStartsAt === null) throw invalid('saleStartsAt', 'is required for a SECKILL coupon');
  if (data.saleEndsAt === null) throw invalid('saleEndsAt', 'is required for a SECKILL coupon');
  return checkWindow({ saleStartsAt: data.saleStartsAt, saleEndsAt: data.saleEndsAt });
};

/** The time a fixed `validUntil` must come after: the window's end (SECKILL) or now (REGULAR). */
const validUntilFloor = (couponType: CouponType, window: SaleWindow, now: Date): Date =>
  couponType === 'SECKILL' ? window.saleEndsAt : now;

const validityOf = (data: CreateCoupon['data'], window: SaleWindow): CouponValidity => {
  if (data.validDays !== null && data.validUntil !== null)
    throw invalid('validUntil', 'must be absent when validDays is given: at most one of the two');
  if (data.validDays !== null && !isWholeNumberIn(data.validDays, 1, MAX_VALID_DAYS))
    throw invalid('validDays', `must be a whole number of days from 1 to ${MAX_VALID_DAYS}`);
  if (data.validUntil !== null) {
    if (!isStorableTime(data.validUntil)) throw invalid('validUntil', storableRule);
    if (data.validUntil <= validUntilFloor(data.couponType, window, data.now))
      throw invalid(
        'validUntil',
        data.couponType === 'SECKILL' ? 'must be after saleEndsAt' : 'must be in the future',
      );
  }
  return { validDays: data.validDays, validUntil: data.validUntil?.toISOString() ?? null };
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

const changeSaleWindow = ({ data }: ChangeSaleWindow, state: CouponState): CouponEvent[] => {
  const coupon = requireOpen(state, data.couponId);
  if (coupon.couponType !== 'SECKILL')
    throw new DomainError(
      'NOT_A_SECKILL_COUPON',
      `coupon ${data.couponId} is a REGULAR coupon: it has no sale window to change`,
    );
  if (data.now.getTime() >= Date.parse(coupon.saleStartsAt))
    throw new DomainError(
      'SALE_ALREADY_STARTED',
      `the sale window of coupon ${data.couponId} opened at ${coupon.saleStartsAt}: it can no longer be changed`,
      { saleStartsAt: coupon.saleStartsAt },
    );
  const window = checkWindow(data);
  if (coupon.validUntil !== null && Date.parse(coupon.validUntil) <= window.saleEndsAt.getTime())
    throw invalid('saleEndsAt', `must be before the coupon's validUntil (${coupon.validUntil})`);
  return [
    {
      type: 'CouponSaleWindowChanged',
      schemaVersion: 1,
      data: {
        couponId: data.couponId,
        saleStartsAt: window.saleStartsAt.toISOString(),
        saleEndsAt: window.saleEndsAt.toISOString(),
        changedAt: data.now.toISOString(),
      },
    },
  ];
};

const deactivate = ({ data }: DeactivateCoupon, state: CouponState): CouponEvent[] => {
  if (requireOpen(state, data.couponId).deactivated)
    throw new DomainError('COUPON_ALREADY_INACTIVE', `coupon ${data.couponId} is already deactivated`);
  return [
    {
      type: 'CouponDeactivated',
      schemaVersion: 1,
      data: { couponId: data.couponId, deactivatedAt: data.now.toISOString() },
    },
  ];
};

const reactivate = ({ data }: ReactivateCoupon, state: CouponState): CouponEvent[] => {
  if (!requireOpen(state, data.couponId).deactivated)
    throw new DomainError('COUPON_ALREADY_ACTIVE', `coupon ${data.couponId} is not deactivated`);
  return [
    {
      type: 'CouponReactivated',
      schemaVersion: 1,
      data: { couponId: data.couponId, reactivatedAt: data.now.toISOString() },
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
    case 'ChangeSaleWindow':
      return changeSaleWindow(command, state);
    case 'DeactivateCoupon':
      return deactivate(command, state);
    case 'ReactivateCoupon':
      return reactivate(command, state);
    default:
      return assertNever(command);
  }
};

const evolve = (state: CouponState, event: CouponEvent): CouponState => {
  switch (event.type) {
    case 'CouponCreated':
      return { status: 'active', ...event.data, deactivated: false };
    case 'CouponStockAdded':
      return state.status === 'absent' ? state : { ...state, totalStock: event.data.totalStock };
    case 'CouponClosed':
      return state.status === 'absent' ? state : { ...state, status: 'closed' };
    case 'CouponSaleWindowChanged':
      return state.status === 'absent'
        ? state
        : { ...state, saleStartsAt: event.data.saleStartsAt, saleEndsAt: event.data.saleEndsAt };
    case 'CouponDeactivated':
      return state.status === 'absent' ? state : { ...state, deactivated: true };
    case 'CouponReactivated':
      return state.status === 'absent' ? state : { ...state, deactivated: false };
    default:
      return assertNever(event);
  }
};

export const couponDecider: Decider<CouponCommand, CouponEvent, CouponState> = {
  decide,
  evolve,
  initialState: { status: 'absent' },
};
