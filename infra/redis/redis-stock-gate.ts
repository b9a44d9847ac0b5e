import type { Redis } from 'ioredis';
import { DependencyUnavailableError } from '../../commands/dependency-error';
import type {
  GateCoupon,
  GateCouponState,
  GateSnapshot,
  PendingReservation,
  ReserveOutcome,
  ReserveRequest,
  SeckillRefusal,
  StockGate,
} from '../../commands/stock-gate-port';
import {
  APPLY_COUPON,
  BEGIN_REBUILD,
  LOAD_BEGIN,
  LOAD_END,
  RELEASE,
  RESERVE,
  RETURN_UNIT,
} from './gate-scripts';

type ScriptName =
  'reserve' | 'release' | 'returnUnit' | 'applyCoupon' | 'beginRebuild' | 'loadBegin' | 'loadEnd';
const SCRIPTS: Record<ScriptName, string> = {
  reserve: RESERVE,
  release: RELEASE,
  returnUnit: RETURN_UNIT,
  applyCoupon: APPLY_COUPON,
  beginRebuild: BEGIN_REBUILD,
  loadBegin: LOAD_BEGIN,
  loadEnd: LOAD_END,
};

type ScriptCommands = { [name in ScriptName]: (...args: (string | number)[]) => Promise<unknown> };

const REFUSALS = new Set<string>([
  'SOLD_OUT',
  'LIMIT_REACHED',
  'SALE_NOT_STARTED',
  'SALE_ENDED',
  'COUPON_CLOSED',
]);
const LOAD_CHUNK = 1000;

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

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 5, lua });
    }
    this.scripts = redis as unknown as ScriptCommands;
  }

  async reserve({
    couponId,
    userId,
    orderId,
    idempotencyKey,
    nowMs,
  }: ReserveRequest): Promise<ReserveOutcome> {
    const reply = (await this.run('reserve', couponId, userId, orderId, nowMs, idempotencyKey ?? '')) as [
      string,
      string?,
    ];
    const [outcome, detail] = reply;
    if (outcome === 'RESERVED') return { kind: 'reserved' };
    if (outcome === 'REPLAYED' && detail) return { kind: 'replayed', orderId: detail };
    if (outcome === 'UNKNOWN_COUPON') return { kind: 'unknown_coupon' };
    if (outcome === 'REBUILDING') return { kind: 'rebuilding' };
    if (REFUSALS.has(outcome))
      return {
        kind: 'refused',
        reason: outcome as SeckillRefusal,
        orderIds: detail ? detail.split(',') : [],
      };
    throw new Error(`unexpected gate reply ${JSON.stringify(reply)}`);
  }

  async release(couponId: string, orderId: string): Promise<boolean> {
    return (await this.run('release', couponId, orderId)) === 1;
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

  async returnUnit(couponId: string, orderId: string, userId: string): Promise<boolean> {
    return (await this.run('returnUnit', couponId, orderId, userId)) === 1;
  }

  async applyCoupon(coupon: GateCoupon): Promise<void> {
    await this.run('applyCoupon', coupon.couponId, ...couponArgs(coupon));
    await this.guard(() => this.redis.sadd(this.registryKey, coupon.couponId));
  }

  async pendingOlderThan(couponId: string, cutoffMs: number, limit: number): Promise<PendingReservation[]> {
    const keys = this.keys(couponId);
    return this.guard(async () => {
      if ((await this.redis.hget(keys.meta, 'status')) === 'rebuilding') return [];
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
    return this.guard(() => this.redis.smembers(this.registryKey));
  }

  async state(couponId: string): Promise<GateCouponState | null> {
    const keys = this.keys(couponId);
    const [meta, buyers, idem] = await this.guard(() =>
      Promise.all([
        this.redis.hgetall(keys.meta),
        this.redis.hgetall(keys.buyers),
        this.redis.hgetall(keys.idem),
      ]),
    );
    if (meta.status === undefined) return null;
    return {
      couponId,
      totalStock: Number(meta.total),
      sold: Number(meta.sold),
      buyers: new Map(Object.entries(buyers).map(([user, owned]) => [user, owned.split(',')])),
      idempotencyKeys: new Map(Object.entries(idem)),
    };
  }

  async isInitialised(): Promise<boolean> {
    return (await this.guard(() => this.redis.exists(this.initialisedKey))) === 1;
  }

  async beginRebuild(couponIds: readonly string[]): Promise<void> {
    for (const couponId of couponIds) await this.run('beginRebuild', couponId);
  }

  async load(snapshots: readonly GateSnapshot[]): Promise<void> {
    const loaded = new Set(snapshots.map((s) => s.coupon.couponId));
    for (const snapshot of snapshots) await this.loadCoupon(snapshot);
    for (const stale of (await this.couponIds()).filter((id) => !loaded.has(id))) {
      const keys = this.keys(stale);
      await this.guard(() =>
        this.redis.del(keys.meta, keys.buyers, keys.idem, keys.pending, keys.reservations),
      );
      await this.guard(() => this.redis.srem(this.registryKey, stale));
    }
    if (loaded.size > 0) await this.guard(() => this.redis.sadd(this.registryKey, ...loaded));
    await this.guard(() => this.redis.set(this.initialisedKey, new Date().toISOString()));
  }

  async ping(): Promise<void> {
    await this.guard(() => this.redis.ping());
  }

  private confirmQueued(): void {
    const confirmations = this.confirmations;
    this.confirmations = new Map();
    for (const [couponId, { orderIds, waiters }] of confirmations) {
      const keys = this.keys(couponId);
      const ids = [...orderIds];
      this.guard(() =>
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

  private async loadCoupon({ coupon, buyers, idempotencyKeys }: GateSnapshot): Promise<void> {
    const keys = this.keys(coupon.couponId);
    await this.run('loadBegin', coupon.couponId, ...couponArgs(coupon));
    await this.writeChunked(
      keys.buyers,
      [...buyers].map(([user, orders]) => [user, orders.join(',')] as const),
    );
    await this.writeChunked(keys.idem, [...idempotencyKeys]);
    await this.run('loadEnd', coupon.couponId);
  }

  private async writeChunked(key: string, entries: readonly (readonly [string, string])[]): Promise<void> {
    for (let i = 0; i < entries.length; i += LOAD_CHUNK) {
      const chunk = entries.slice(i, i + LOAD_CHUNK).flat();
      await this.guard(() => this.redis.hset(key, ...chunk));
    }
  }

  private run(script: ScriptName, couponId: string, ...args: (string | number)[]): Promise<unknown> {
    const keys = this.keys(couponId);
    return this.guard(() =>
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

  private get initialisedKey(): string {
    return `${this.prefix}:initialised`;
  }

  private async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof Error && error.name === 'ReplyError') throw error;
      throw new DependencyUnavailableError('redis', error);
    }
  }
}

const couponArgs = (coupon: GateCoupon): (string | number)[] => [
  coupon.revision.toString(),
  coupon.totalStock,
  coupon.perUserLimit,
  coupon.saleStartsAtMs,
  coupon.saleEndsAtMs,
  coupon.closed ? '1' : '0',
];
