import type { CouponType } from '../../domain/coupon/coupon-events';
import type {
  GateCoupon,
  GateCouponState,
  GateRules,
  GateSnapshot,
  GateWrite,
  OrderedPurchase,
  OrderedReserveOutcome,
  PendingReservation,
  PurchaseOutcome,
  RecoveryStart,
  ReserveOutcome,
  ReserveRequest,
  SeckillRefusal,
  StockGate,
} from '../../commands/stock-gate-port';
import {
  APPLY_COUPON,
  BEGIN_RECOVERY,
  CREATE_COUPON,
  LOAD_BEGIN,
  LOAD_END,
  RELEASE,
  RELEASE_RECOVERY,
  RESERVE,
  RESERVE_MANY,
  RETURN_UNIT,
  SET_RESERVATION_PRIORITY,
} from './gate-scripts';
import { guardRedisCall } from './redis-errors';
import { primariesOf, type AnyRedis } from './redis-topology';

type ScriptName =
  | 'reserve'
  | 'reserveMany'
  | 'setReservationPriority'
  | 'release'
  | 'returnUnit'
  | 'createCoupon'
  | 'applyCoupon'
  | 'beginRecovery'
  | 'releaseRecovery'
  | 'loadBegin'
  | 'loadEnd';
const SCRIPTS: Record<ScriptName, string> = {
  reserve: RESERVE,
  reserveMany: RESERVE_MANY,
  setReservationPriority: SET_RESERVATION_PRIORITY,
  release: RELEASE,
  returnUnit: RETURN_UNIT,
  createCoupon: CREATE_COUPON,
  applyCoupon: APPLY_COUPON,
  beginRecovery: BEGIN_RECOVERY,
  releaseRecovery: RELEASE_RECOVERY,
  loadBegin: LOAD_BEGIN,
  loadEnd: LOAD_END,
};

/** The field or member every key of a coupon keeps (gate-scripts.ts), never a buyer, order or idempotency key. */
const SENTINEL = '~';

/**
 * The layout of the gate's keys (sentinels; idempotency fields joined by a newline). A gate marked initialised under
 * another layout counts as uninitialised, so the first process of a new release rebuilds it from the event store.
 */
const GATE_FORMAT = 'gate-format:2';

type ScriptCommands = { [name in ScriptName]: (...args: (string | number)[]) => Promise<unknown> };

const REFUSALS = new Set<string>([
  'SOLD_OUT',
  'LIMIT_REACHED',
  'SALE_NOT_STARTED',
  'SALE_ENDED',
  'COUPON_CLOSED',
  'ACCOUNT_TOO_NEW',
  'COUPON_INACTIVE',
  'NOT_A_SECKILL_COUPON',
  'NOT_A_REGULAR_COUPON',
  'COUPON_EXPIRED',
]);
const LOAD_CHUNK = 1000;

/**
 * What a purchase gets while the server cannot be trusted: "rebuilding" under a lease nobody may take over (the
 * seckill handler answers 503 GATE_RECOVERING and starts no recovery of its own; PrimaryWatch's rebuild is under way).
 */
const HELD = { kind: 'rebuilding', leaseExpiresAtMs: Number.MAX_SAFE_INTEGER } as const;

interface QueuedConfirmation {
  readonly orderIds: Set<string>;
  readonly waiters: { readonly resolve: () => void; readonly reject: (error: Error) => void }[];
}

/**
 * The stock gate on Redis. Keys of one coupon share the hash tag `{couponId}`; the registry of coupons and the
 * "initialised" marker are the only keys outside a coupon.
 */
export class RedisStockGate implements StockGate {
  private readonly scripts: ScriptCommands;
  private confirmations = new Map<string, QueuedConfirmation>();

  /**
   * `sellable`: false while the server's data cannot be trusted to hold every unit sold (PrimaryWatch): purchases are
   * then answered as during a recovery (503 GATE_RECOVERING), everything else goes on.
   */
  constructor(
    private readonly redis: AnyRedis,
    private readonly prefix: string,
    private readonly sellable: () => boolean = () => true,
  ) {
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 5, lua });
    }
    this.scripts = redis as unknown as ScriptCommands;
  }

  async reserve({
    couponId,
    couponType = 'SECKILL',
    userId,
    orderId,
    idempotencyKey,
    nowMs,
    registeredAtMs,
  }: ReserveRequest): Promise<ReserveOutcome> {
    if (!this.sellable()) return HELD;
    const reply = (await this.run(
      'reserve',
      couponId,
      userId,
      orderId,
      nowMs,
      idempotencyKey ?? '',
      registeredAtMs ?? '',
      couponType,
    )) as [string, string?, string?, string?, string?];
    const [outcome, detail] = reply;
    if (outcome === 'UNKNOWN_COUPON') return { kind: 'unknown_coupon' };
    if (outcome === 'DAMAGED') return { kind: 'damaged' };
    if (outcome === 'REBUILDING') return { kind: 'rebuilding', leaseExpiresAtMs: Number(detail ?? 0) };
    return purchaseOutcome(reply);
  }

  async reserveInOrder(
    couponId: string,
    nowMs: number,
    purchases: readonly OrderedPurchase[],
  ): Promise<OrderedReserveOutcome> {
    if (purchases.length === 0) return { kind: 'decided', outcomes: [] };
    if (!this.sellable()) return HELD;
    const args = purchases.flatMap((p) => [p.userId, p.orderId, p.idempotencyKey, p.registeredAtMs ?? '']);
    const reply = (await this.run('reserveMany', couponId, nowMs, ...args)) as string[];
    const [first, detail] = reply;
    if (first === 'UNKNOWN_COUPON') return { kind: 'unknown_coupon' };
    if (first === 'DAMAGED') return { kind: 'damaged' };
    if (first === 'REBUILDING') return { kind: 'rebuilding', leaseExpiresAtMs: Number(detail ?? 0) };
    const outcomes: PurchaseOutcome[] = [];
    for (let i = 0; i < reply.length; i += 5) outcomes.push(purchaseOutcome(reply.slice(i, i + 5)));
    return { kind: 'decided', outcomes };
  }

  async setReservationPriority(couponId: string, priorityMs: number): Promise<GateWrite<'set'>> {
    return (await this.run('setReservationPriority', couponId, priorityMs)) === 1 ? 'set' : 'damaged';
  }

  async release(couponId: string, orderId: string): Promise<GateWrite<'released' | 'not_pending'>> {
    const reply = await this.run('release', couponId, orderId);
    return reply === 1 ? 'released' : reply === 0 ? 'not_pending' : 'damaged';
  }

  /**
   * Confirmations asked for in the same turn of the event loop (the reconciler keeps a page of orders at once) go out
   * as one MULTI per coupon instead of one per order.
   */
  confirm(couponId: string, orderIds: readonly string[]): Promise<void> {
    if (orderIds.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (this.confirmations.size === 0) setImmediate(() => this.confirmQueued());
      let queued = this.confirmations.get(couponId);
      if (!queued) this.confirmations.set(couponId, (queued = { orderIds: new Set(), waiters: [] }));
      for (const orderId of orderIds) queued.orderIds.add(orderId);
      queued.waiters.push({ resolve, reject });
    });
  }

  async returnUnit(
    couponId: string,
    orderId: string,
    userId: string,
  ): Promise<GateWrite<'returned' | 'not_live'>> {
    const reply = await this.run('returnUnit', couponId, orderId, userId);
    return reply === 1 ? 'returned' : reply === 0 ? 'not_live' : 'damaged';
  }

  async createCoupon(coupon: GateCoupon): Promise<'created' | 'exists'> {
    const created = (await this.run('createCoupon', coupon.couponId, ...couponArgs(coupon))) === 1;
    await guardRedisCall(() => this.redis.sadd(this.registryKey, coupon.couponId));
    return created ? 'created' : 'exists';
  }

  async applyCoupon(coupon: GateCoupon): Promise<GateWrite<'applied' | 'stale'>> {
    const reply = await this.run('applyCoupon', coupon.couponId, ...couponArgs(coupon));
    if (reply === -1) return 'damaged';
    await guardRedisCall(() => this.redis.sadd(this.registryKey, coupon.couponId));
    return reply === 1 ? 'applied' : 'stale';
  }

  async pendingOlderThan(couponId: string, cutoffMs: number, limit: number): Promise<PendingReservation[]> {
    const keys = this.keys(couponId);
    return guardRedisCall(async () => {
      // Nothing to settle on a coupon being recovered, or one with a key lost: its reservations cannot be read whole
      // (a lost `reservations` hash would name no buyer); its recovery keeps or settles them.
      const [status, present] = await Promise.all([
        this.redis.hget(keys.meta, 'status'),
        this.redis.exists(keys.meta, keys.buyers, keys.idem, keys.pending, keys.reservations),
      ]);
      if (status === 'rebuilding' || present < 5) return [];
      const entries = await this.redis.zrangebyscore(
        keys.pending,
        '-inf',
        cutoffMs,
        'WITHSCORES',
        'LIMIT',
        0,
        limit,
      );
      const orderIds = entries.filter((_, i) => i % 2 === 0);
      if (orderIds.length === 0) return [];
      const reservations = await this.redis.hmget(keys.reservations, ...orderIds);
      return orderIds.map((orderId, i) => ({
        couponId,
        orderId,
        userId: (reservations[i] ?? '').split('\n')[0] ?? '',
        reservedAtMs: Number(entries[i * 2 + 1]),
      }));
    });
  }

  couponIds(): Promise<string[]> {
    return guardRedisCall(() => this.redis.smembers(this.registryKey));
  }

  async state(couponId: string): Promise<GateCouponState | null> {
    const keys = this.keys(couponId);
    const [meta, buyers, idem] = await guardRedisCall(() =>
      Promise.all([
        this.redis.hgetall(keys.meta),
        this.redis.hgetall(keys.buyers),
        this.redis.hgetall(keys.idem),
      ]),
    );
    if (meta.status === undefined) return null;
    const entries = (hash: Record<string, string>) =>
      Object.entries(hash).filter(([field]) => field !== SENTINEL);
    return {
      couponId,
      totalStock: Number(meta.total),
      minAccountAgeSeconds: Number(meta.minage ?? 0),
      rules: rulesOf(meta),
      sold: Number(meta.sold),
      buyers: new Map(entries(buyers).map(([user, owned]) => [user, owned.split(',')])),
      idempotencyKeys: new Map(entries(idem)),
    };
  }

  async scanCouponIds(): Promise<string[]> {
    const found = new Set<string>();
    const head = `${this.prefix}:{`;
    await this.scanKeys(`${this.prefix}:{*}:*`, (keys) => {
      for (const key of keys) {
        const close = key.indexOf('}', head.length);
        if (key.startsWith(head) && close > head.length) found.add(key.slice(head.length, close));
      }
      return Promise.resolve();
    });
    return [...found];
  }

  /**
   * Marks this Redis as the gate of topology era `epoch` (a live switch: README, "Live configuration"). True for the
   * first process to claim the era, which then clears what an earlier era left here; false for the others.
   */
  async claimTopologyEpoch(epoch: string): Promise<boolean> {
    const previous = await guardRedisCall(() => this.redis.set(this.epochKey, epoch, 'GET'));
    return previous !== epoch;
  }

  /** Forgets the era this Redis served: the next switch back here clears it again. */
  async leaveTopology(): Promise<void> {
    await guardRedisCall(() => this.redis.del(this.epochKey));
  }

  /**
   * Deletes every key of the gate (each coupon's keys, the registry, the initialised marker), on every primary; the
   * bus's streams and the rate limits' counters under the same prefix stay.
   */
  async clear(): Promise<void> {
    await this.scanKeys(`${this.prefix}:{*}:*`, async (keys) => {
      // One UNLINK per key: a cluster refuses a multi-key command across slots.
      await Promise.all(keys.map((key) => guardRedisCall(() => this.redis.unlink(key))));
    });
    await guardRedisCall(() => this.redis.unlink(this.registryKey));
    await guardRedisCall(() => this.redis.unlink(this.initialisedKey));
  }

  private async scanKeys(pattern: string, each: (keys: string[]) => Promise<void>): Promise<void> {
    for (const node of primariesOf(this.redis)) {
      let cursor = '0';
      do {
        const [next, keys] = await guardRedisCall(() => node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000));
        await each(keys);
        cursor = next;
      } while (cursor !== '0');
    }
  }

  async isInitialised(): Promise<boolean> {
    return (await guardRedisCall(() => this.redis.get(this.initialisedKey))) === GATE_FORMAT;
  }

  async markInitialised(): Promise<void> {
    await guardRedisCall(() => this.redis.set(this.initialisedKey, GATE_FORMAT));
  }

  async beginRecovery(
    couponId: string,
    owner: string,
    nowMs: number,
    leaseUntilMs: number,
    inFlightMs: number,
  ): Promise<RecoveryStart> {
    const [outcome, detail, holder] = (await this.run(
      'beginRecovery',
      couponId,
      owner,
      nowMs,
      leaseUntilMs,
      inFlightMs,
    )) as [string, string, string?];
    if (outcome === 'BUSY') return holder === undefined ? { kind: 'busy' } : { kind: 'busy', holder };
    return { kind: 'began', waitUntilMs: Number(detail) };
  }

  async loadRecovered(
    { coupon, buyers, idempotencyKeys, reservationPriorityMs }: GateSnapshot,
    owner: string,
  ): Promise<boolean> {
    const keys = this.keys(coupon.couponId);
    const loadArgs = [...couponArgs(coupon), reservationPriorityMs];
    if ((await this.run('loadBegin', coupon.couponId, owner, ...loadArgs)) !== 1) return false;
    await this.writeChunked(
      keys.buyers,
      [...buyers].map(([user, orders]) => [user, orders.join(',')] as const),
    );
    await this.writeChunked(keys.idem, [...idempotencyKeys]);
    if ((await this.run('loadEnd', coupon.couponId, owner)) === -1) return false;
    await guardRedisCall(() => this.redis.sadd(this.registryKey, coupon.couponId));
    return true;
  }

  async releaseRecovery(couponId: string, owner: string): Promise<void> {
    await this.run('releaseRecovery', couponId, owner);
  }

  async forget(couponId: string): Promise<void> {
    const keys = this.keys(couponId);
    await guardRedisCall(() =>
      this.redis.del(keys.meta, keys.buyers, keys.idem, keys.pending, keys.reservations),
    );
    await guardRedisCall(() => this.redis.srem(this.registryKey, couponId));
  }

  async ping(): Promise<void> {
    await guardRedisCall(() => this.redis.ping());
  }

  private confirmQueued(): void {
    const confirmations = this.confirmations;
    this.confirmations = new Map();
    for (const [couponId, { orderIds, waiters }] of confirmations) {
      const keys = this.keys(couponId);
      const ids = [...orderIds];
      guardRedisCall(() =>
        this.redis
          .multi()
          .zrem(keys.pending, ...ids)
          .hdel(keys.reservations, ...ids)
          .exec(),
      ).then(
        () => {
          for (const waiter of waiters) waiter.resolve();
        },
        (error: unknown) => {
          for (const waiter of waiters) waiter.reject(error as Error);
        },
      );
    }
  }

  private async writeChunked(key: string, entries: readonly (readonly [string, string])[]): Promise<void> {
    for (let i = 0; i < entries.length; i += LOAD_CHUNK) {
      const chunk = entries.slice(i, i + LOAD_CHUNK).flat();
      await guardRedisCall(() => this.redis.hset(key, ...chunk));
    }
  }

  private run(script: ScriptName, couponId: string, ...args: (string | number)[]): Promise<unknown> {
    const keys = this.keys(couponId);
    return guardRedisCall(() =>
      this.scripts[script](keys.meta, keys.buyers, keys.idem, keys.pending, keys.reservations, ...args),
    );
  }

  private keys(couponId: string) {
    const base = `${this.prefix}:{${couponId}}`;
    return {
      meta: `${base}:meta`,
      buyers: `${base}:buyers`,
      idem: `${base}:idem`,
      pending: `${base}:pending`,
      reservations: `${base}:reservations`,
    };
  }

  private get registryKey(): string {
    return `${this.prefix}:coupons`;
  }

  private get epochKey(): string {
    return `${this.prefix}:topology-epoch`;
  }

  private get initialisedKey(): string {
    return `${this.prefix}:initialised`;
  }
}

/** One purchase's reply (RESERVE's, or five fields of RESERVE_MANY's) as what became of it. */
const purchaseOutcome = (reply: readonly (string | undefined)[]): PurchaseOutcome => {
  const [outcome = '', detail] = reply;
  if (outcome === 'RESERVED') return reservedOf(reply);
  if (outcome === 'REPLAYED' && detail) return { kind: 'replayed', orderId: detail };
  if (REFUSALS.has(outcome))
    return { kind: 'refused', reason: outcome as SeckillRefusal, orderIds: detail ? detail.split(',') : [] };
  throw new Error(`unexpected gate reply ${JSON.stringify(reply)}`);
};

/** A coupon's settings in the scripts' ARGV order (gate-scripts.ts, CREATE_COUPON). */
const couponArgs = (coupon: GateCoupon): (string | number)[] => [
  coupon.revision.toString(),
  coupon.totalStock,
  coupon.perUserLimit,
  coupon.saleStartsAtMs,
  coupon.saleEndsAtMs,
  coupon.closed ? '1' : '0',
  coupon.minAccountAgeSeconds,
  coupon.couponType,
  coupon.deactivated ? '1' : '0',
  coupon.minSpendCents,
  coupon.validDays ?? '',
  coupon.validUntilMs ?? '',
];

/** '' (or absent, in a coupon loaded before the field existed): none. */
const optionalNumber = (value: string | undefined): number | null =>
  value === undefined || value === '' ? null : Number(value);

/** RESERVE's RESERVED reply: type, minimum spend, validity days, fixed validity end (ms). */
export const reservedOf = ([, type, minSpend, days, until]: readonly (string | undefined)[]): Extract<
  ReserveOutcome,
  { kind: 'reserved' }
> => {
  const validUntilMs = optionalNumber(until);
  return {
    kind: 'reserved',
    terms: {
      couponType: (type ?? 'SECKILL') as CouponType,
      minSpendCents: Number(minSpend ?? 0),
      validDays: optionalNumber(days),
      validUntil: validUntilMs === null ? null : new Date(validUntilMs).toISOString(),
    },
  };
};

/** The settings in a coupon's meta hash beside its stock; absent fields read as coupons before them were. */
export const rulesOf = (meta: Record<string, string>): GateRules => ({
  couponType: (meta.type ?? 'SECKILL') as CouponType,
  deactivated: meta.inactive === '1',
  saleStartsAtMs: Number(meta.start),
  saleEndsAtMs: Number(meta.end),
  minSpendCents: Number(meta.minspend ?? 0),
  validDays: optionalNumber(meta.vdays),
  validUntilMs: optionalNumber(meta.vuntil),
});
