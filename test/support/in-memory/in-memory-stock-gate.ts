import { DependencyUnavailableError } from '../../../commands/dependency-error';
import {
  idempotencyField,
  type GateCoupon,
  type GateCouponState,
  type GateSnapshot,
  type GateWrite,
  type OrderedPurchase,
  type OrderedReserveOutcome,
  type PendingReservation,
  type PurchaseOutcome,
  type RecoveryStart,
  type ReserveOutcome,
  type ReserveRequest,
  type SeckillRefusal,
  type StockGate,
} from '../../../commands/stock-gate-port';
import { reservedOf, rulesOf } from '../../../infra/redis/redis-stock-gate';

/** The five keys every coupon keeps in the gate (infra/redis/gate-scripts.ts). */
export const GATE_KEYS = ['meta', 'buyers', 'idem', 'pending', 'reservations'] as const;
export type GateKey = (typeof GATE_KEYS)[number];

/**
 * A coupon's keys as Redis would hold them: hashes as field → value, the `pending` sorted set as member → score
 * (written as Redis writes a score: `inf` for the sentinel's +inf). null: the key does not exist.
 */
export type RawCouponKeys = Readonly<Record<GateKey, Readonly<Record<string, string>> | null>>;

/** The field or member each key keeps so that "empty" never looks like "lost" (gate-scripts.ts). */
const SENTINEL = '~';
/** What RedisStockGate writes as the initialised marker (its GATE_FORMAT). */
const GATE_FORMAT = 'gate-format:2';

type Hash = Map<string, string>;
type SortedSet = Map<string, number>;
/** A Redis value, tagged with its type. */
type Value =
  | { readonly type: 'hash'; readonly hash: Hash }
  | { readonly type: 'zset'; readonly zset: SortedSet }
  | { readonly type: 'set'; readonly set: Set<string> }
  | { readonly type: 'string'; readonly value: string };

interface CouponKeys {
  readonly meta: string;
  readonly buyers: string;
  readonly idem: string;
  readonly pending: string;
  readonly reservations: string;
}

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

/**
 * The stock gate in memory, for specs that must not do I/O. It mirrors RedisStockGate (infra/redis/redis-stock-gate.ts)
 * and its Lua scripts (infra/redis/gate-scripts.ts) statement by statement, over a small Redis-like keyspace with the
 * same key names (`${prefix}:{${couponId}}:meta|buyers|idem|pending|reservations`, `${prefix}:coupons`,
 * `${prefix}:initialised`), the same value layout (comma-joined order ids, `user\nkey` idempotency fields and
 * reservations, sentinels in every key) and Redis's rule that an emptied hash or set no longer exists. So damage is
 * detected exactly as Redis detects it: by a key that is missing. The StockGate contract suite
 * (test/stock-gate-contract.int.ts) runs against both.
 *
 * Where it knowingly differs from the Redis gate:
 * - every method is one atomic step (a script is atomic in Redis too), including `loadRecovered`, which Redis runs as
 *   LOAD_BEGIN, chunked HSETs and LOAD_END, and `confirm`, which Redis batches per turn of the event loop into one
 *   MULTI: here it applies at once;
 * - `couponIds` answers in registration order (Redis's SMEMBERS order is unspecified), and hashes iterate in insertion
 *   order (as Redis's small listpack-encoded hashes do; large ones iterate in no set order);
 * - sorted-set ties are ordered by JavaScript string comparison (UTF-16), Redis by bytes: the same for ASCII ids;
 * - no hash slots, memory limits, eviction or command timeouts: keys are lost only through the test hooks `lose` and
 *   `loseEverything`, and the gate is unreachable only while `setReachable(false)` says so.
 */
export class InMemoryStockGate implements StockGate {
  private readonly keyspace = new Map<string, Value>();
  private reachable = true;

  constructor(private readonly prefix = 'ck') {}

  // ---- test hooks --------------------------------------------------------------------------------------------

  /** Deletes one key of a coupon, as Redis losing it would (an eviction, a failover, a `DEL`). */
  lose(couponId: string, key: GateKey): void {
    this.keyspace.delete(this.keys(couponId)[key]);
  }

  /** Deletes every key of the gate: every coupon, the registry and the initialised marker (a Redis that lost all). */
  loseEverything(): void {
    this.keyspace.clear();
  }

  /** While false, every call rejects with DependencyUnavailableError, as a Redis that cannot be reached. */
  setReachable(reachable: boolean): void {
    this.reachable = reachable;
  }

  /** The coupon's keys as Redis would hold them. */
  raw(couponId: string): RawCouponKeys {
    const keys = this.keys(couponId);
    const hash = (name: string) => {
      const value = this.hash(name);
      return value ? Object.fromEntries(value) : null;
    };
    const pending = this.zset(keys.pending);
    return {
      meta: hash(keys.meta),
      buyers: hash(keys.buyers),
      idem: hash(keys.idem),
      pending: pending
        ? Object.fromEntries([...pending].map(([member, score]) => [member, formatScore(score)]))
        : null,
      reservations: hash(keys.reservations),
    };
  }

  /** Names of the keys of this coupon that exist, as `KEYS ${prefix}:{couponId}:*` would list them. */
  keyNames(couponId: string): string[] {
    return namesOf(this.keys(couponId)).filter((key) => this.keyspace.has(key));
  }

  // ---- StockGate ---------------------------------------------------------------------------------------------

  reserve({
    couponId,
    couponType = 'SECKILL',
    userId,
    orderId,
    idempotencyKey,
    nowMs,
    registeredAtMs,
  }: ReserveRequest): Promise<ReserveOutcome> {
    return this.guard(() => {
      const k = this.keys(couponId);
      const refusal = this.gateRefusal(k);
      if (refusal) return refusal;
      return toOutcome(
        this.reserveOne(k, userId, orderId, nowMs, idempotencyKey ?? '', registeredAtMs, couponType, false),
      );
    });
  }

  reserveInOrder(
    couponId: string,
    nowMs: number,
    purchases: readonly OrderedPurchase[],
  ): Promise<OrderedReserveOutcome> {
    return this.guard(() => {
      if (purchases.length === 0) return { kind: 'decided', outcomes: [] };
      const k = this.keys(couponId);
      const refusal = this.gateRefusal(k);
      if (refusal) return refusal;
      const outcomes = purchases.map((p) =>
        toOutcome(
          this.reserveOne(k, p.userId, p.orderId, nowMs, p.idempotencyKey, p.registeredAtMs, 'SECKILL', true),
        ),
      );
      return { kind: 'decided', outcomes };
    });
  }

  setReservationPriority(couponId: string, priorityMs: number): Promise<GateWrite<'set'>> {
    return this.guard(() => {
      const k = this.keys(couponId);
      if (this.present(k) < 5) return 'damaged';
      if (this.hget(k.meta, 'status') === 'rebuilding') this.hset(k.meta, 'resume_rsv', String(priorityMs));
      else this.hset(k.meta, 'rsv', String(priorityMs));
      return 'set';
    });
  }

  release(couponId: string, orderId: string): Promise<GateWrite<'released' | 'not_pending'>> {
    return this.guard(() => {
      const reply = this.releaseScript(this.keys(couponId), orderId);
      return reply === 1 ? 'released' : reply === 0 ? 'not_pending' : 'damaged';
    });
  }

  confirm(couponId: string, orderIds: readonly string[]): Promise<void> {
    return this.guard(() => {
      if (orderIds.length === 0) return;
      // MULTI ZREM pending … HDEL reservations …: no check of the coupon's keys, as in Redis.
      const keys = this.keys(couponId);
      this.zrem(keys.pending, ...orderIds);
      this.hdel(keys.reservations, ...orderIds);
    });
  }

  returnUnit(couponId: string, orderId: string, userId: string): Promise<GateWrite<'returned' | 'not_live'>> {
    return this.guard(() => {
      const reply = this.returnUnitScript(this.keys(couponId), orderId, userId);
      return reply === 1 ? 'returned' : reply === 0 ? 'not_live' : 'damaged';
    });
  }

  createCoupon(coupon: GateCoupon): Promise<'created' | 'exists'> {
    return this.guard(() => {
      const created = this.createCouponScript(this.keys(coupon.couponId), coupon) === 1;
      this.sadd(this.registryKey, coupon.couponId);
      return created ? 'created' : 'exists';
    });
  }

  applyCoupon(coupon: GateCoupon): Promise<GateWrite<'applied' | 'stale'>> {
    return this.guard(() => {
      const reply = this.applyCouponScript(this.keys(coupon.couponId), coupon);
      if (reply === -1) return 'damaged';
      this.sadd(this.registryKey, coupon.couponId);
      return reply === 1 ? 'applied' : 'stale';
    });
  }

  pendingOlderThan(couponId: string, cutoffMs: number, limit: number): Promise<PendingReservation[]> {
    return this.guard(() => {
      const keys = this.keys(couponId);
      if (this.hget(keys.meta, 'status') === 'rebuilding' || this.present(keys) < 5) return [];
      // ZRANGEBYSCORE pending -inf cutoff WITHSCORES LIMIT 0 limit
      const entries = [...(this.zset(keys.pending) ?? [])]
        .filter(([, score]) => score <= cutoffMs)
        .sort(([a, sa], [b, sb]) => sa - sb || (a < b ? -1 : a > b ? 1 : 0))
        .slice(0, Math.max(0, limit));
      return entries.map(([orderId, score]) => ({
        couponId,
        orderId,
        userId: (this.hget(keys.reservations, orderId) ?? '').split('\n')[0] ?? '',
        reservedAtMs: score,
      }));
    });
  }

  couponIds(): Promise<string[]> {
    return this.guard(() => [...(this.set(this.registryKey) ?? [])]);
  }

  scanCouponIds(): Promise<string[]> {
    return this.guard(() => {
      // SCAN MATCH `${prefix}:{*}:*`, then the id between the braces, as RedisStockGate reads it.
      const found = new Set<string>();
      const head = `${this.prefix}:{`;
      for (const key of this.keyspace.keys()) {
        if (!key.startsWith(head)) continue;
        const close = key.indexOf('}', head.length);
        if (close > head.length && key.includes('}:', close)) found.add(key.slice(head.length, close));
      }
      return [...found];
    });
  }

  state(couponId: string): Promise<GateCouponState | null> {
    return this.guard(() => {
      const keys = this.keys(couponId);
      const meta = this.hash(keys.meta);
      const status = meta?.get('status');
      if (!meta || status === undefined) return null;
      const entries = (name: string) => [...(this.hash(name) ?? [])].filter(([field]) => field !== SENTINEL);
      return {
        couponId,
        totalStock: Number(meta.get('total')),
        minAccountAgeSeconds: Number(meta.get('minage') ?? 0),
        rules: rulesOf(Object.fromEntries(meta)),
        sold: Number(meta.get('sold')),
        buyers: new Map(entries(keys.buyers).map(([user, owned]) => [user, owned.split(',')])),
        idempotencyKeys: new Map(entries(keys.idem)),
      };
    });
  }

  isInitialised(): Promise<boolean> {
    return this.guard(() => {
      const marker = this.keyspace.get(this.initialisedKey);
      return marker?.type === 'string' && marker.value === GATE_FORMAT;
    });
  }

  markInitialised(): Promise<void> {
    return this.guard(() => {
      this.keyspace.set(this.initialisedKey, { type: 'string', value: GATE_FORMAT });
    });
  }

  beginRecovery(
    couponId: string,
    owner: string,
    nowMs: number,
    leaseUntilMs: number,
    inFlightMs: number,
  ): Promise<RecoveryStart> {
    return this.guard(() => {
      const [outcome, detail, holder] = this.beginRecoveryScript(
        this.keys(couponId),
        owner,
        nowMs,
        leaseUntilMs,
        inFlightMs,
      );
      if (outcome === 'BUSY') return holder === undefined ? { kind: 'busy' } : { kind: 'busy', holder };
      return { kind: 'began', waitUntilMs: Number(detail) };
    });
  }

  loadRecovered(
    { coupon, buyers, idempotencyKeys, reservationPriorityMs }: GateSnapshot,
    owner: string,
  ): Promise<boolean> {
    return this.guard(() => {
      const keys = this.keys(coupon.couponId);
      if (this.loadBeginScript(keys, owner, coupon, reservationPriorityMs) !== 1) return false;
      for (const [user, orders] of buyers) this.hset(keys.buyers, user, orders.join(','));
      for (const [field, orderId] of idempotencyKeys) this.hset(keys.idem, field, orderId);
      if (this.loadEndScript(keys, owner) === -1) return false;
      this.sadd(this.registryKey, coupon.couponId);
      return true;
    });
  }

  releaseRecovery(couponId: string, owner: string): Promise<void> {
    return this.guard(() => {
      const { meta } = this.keys(couponId);
      if (this.hget(meta, 'rb_owner') === owner) this.hset(meta, 'rb_until', '0');
    });
  }

  forget(couponId: string): Promise<void> {
    return this.guard(() => {
      for (const key of namesOf(this.keys(couponId))) this.keyspace.delete(key);
      this.srem(this.registryKey, couponId);
    });
  }

  ping(): Promise<void> {
    return this.guard(() => undefined);
  }

  // ---- the Lua scripts, in TypeScript (gate-scripts.ts; KEYS = meta, buyers, idem, pending, reservations) ------

  private gateRefusal(
    k: CouponKeys,
  ): Extract<ReserveOutcome, { kind: 'unknown_coupon' | 'damaged' | 'rebuilding' }> | null {
    const status = this.hget(k.meta, 'status');
    if (status === 'rebuilding')
      return { kind: 'rebuilding', leaseExpiresAtMs: Number(this.hget(k.meta, 'rb_until') ?? '0') };
    const present = this.present(k);
    if (present === 0) return { kind: 'unknown_coupon' };
    if (present < 5 || status === undefined) return { kind: 'damaged' };
    return null;
  }

  private reserveOne(
    k: CouponKeys,
    user: string,
    order: string,
    now: number,
    key: string,
    registeredAtMs: number | null,
    couponType: string,
    priority: boolean,
  ): string[] {
    const status = this.hget(k.meta, 'status');
    const idem = idempotencyField(user, key);
    if (key !== '') {
      const existing = this.hget(k.idem, idem);
      if (existing !== undefined) return ['REPLAYED', existing];
    }
    const type = this.hget(k.meta, 'type') ?? 'SECKILL';
    if (type !== couponType) return [`NOT_A_${couponType}_COUPON`];
    if (status === 'closed') return ['COUPON_CLOSED'];
    if (this.hget(k.meta, 'inactive') === '1') return ['COUPON_INACTIVE'];
    if (now < this.metaNumber(k, 'start')) return ['SALE_NOT_STARTED'];
    if (now >= this.metaNumber(k, 'end')) return ['SALE_ENDED'];
    if (!priority && now < this.metaNumber(k, 'start') + Number(this.hget(k.meta, 'rsv') ?? '0'))
      return ['SALE_NOT_STARTED'];
    const validUntil = this.hget(k.meta, 'vuntil') ?? '';
    if (validUntil !== '' && now >= Number(validUntil)) return ['COUPON_EXPIRED'];
    const minAge = Number(this.hget(k.meta, 'minage') ?? '0');
    if (minAge > 0 && (registeredAtMs === null || now - registeredAtMs < minAge * 1000))
      return ['ACCOUNT_TOO_NEW'];
    const owned = this.hget(k.buyers, user);
    if (ownedCount(owned) >= this.metaNumber(k, 'limit')) return ['LIMIT_REACHED', owned ?? ''];
    if (this.metaNumber(k, 'sold') >= this.metaNumber(k, 'total')) return ['SOLD_OUT'];
    this.hincrby(k.meta, 'sold', 1);
    this.hset(k.buyers, user, owned === undefined ? order : `${owned},${order}`);
    if (key !== '') this.hset(k.idem, idem, order);
    this.zadd(k.pending, now, order);
    this.hset(k.reservations, order, `${user}\n${key}`);
    return [
      'RESERVED',
      type,
      this.hget(k.meta, 'minspend') ?? '0',
      this.hget(k.meta, 'vdays') ?? '',
      validUntil,
    ];
  }

  private releaseScript(k: CouponKeys, order: string): 1 | 0 | -1 {
    if (this.present(k) < 5) return -1;
    const reservation = this.hget(k.reservations, order);
    if (reservation === undefined) return 0;
    const newline = reservation.indexOf('\n');
    const user = reservation.slice(0, newline);
    const key = reservation.slice(newline + 1);
    this.hdel(k.reservations, order);
    this.zrem(k.pending, order);
    this.removeOwned(k, user, order);
    const field = idempotencyField(user, key);
    if (key !== '' && this.hget(k.idem, field) === order) this.hdel(k.idem, field);
    return 1;
  }

  private returnUnitScript(k: CouponKeys, order: string, user: string): 1 | 0 | -1 {
    if (this.present(k) < 5) return -1;
    this.hdel(k.reservations, order);
    this.zrem(k.pending, order);
    if (this.hget(k.meta, 'status') === 'rebuilding') this.hset(k.meta, `ret:${order}`, user);
    return this.removeOwned(k, user, order) ? 1 : 0;
  }

  private createCouponScript(k: CouponKeys, coupon: GateCoupon): 1 | 0 {
    if (this.present(k) > 0) return 0;
    this.hset(k.meta, 'status', coupon.closed ? 'closed' : 'active');
    this.setSettings(k, coupon);
    this.hset(k.meta, 'sold', '0');
    this.addSentinels(k);
    return 1;
  }

  private applyCouponScript(k: CouponKeys, coupon: GateCoupon): 1 | 0 | -1 {
    if (this.present(k) < 5) return -1;
    const current = this.hget(k.meta, 'rev');
    // Lua's tonumber: revisions compare as doubles, as in the script.
    if (current !== undefined && Number(current) >= Number(coupon.revision)) return 0;
    const status = coupon.closed ? 'closed' : 'active';
    if (this.hget(k.meta, 'status') === 'rebuilding') this.hset(k.meta, 'resume', status);
    else this.hset(k.meta, 'status', status);
    this.setSettings(k, coupon);
    return 1;
  }

  private beginRecoveryScript(
    k: CouponKeys,
    owner: string,
    now: number,
    lease: number,
    window: number,
  ): [string, string, string?] {
    const status = this.hget(k.meta, 'status');
    const holder = this.hget(k.meta, 'rb_owner');
    const until = this.hget(k.meta, 'rb_until');
    if (status === 'rebuilding' && holder !== undefined && holder !== owner && Number(until ?? '0') > now)
      return ['BUSY', until ?? '0', holder];
    let waitUntil = Number(this.hget(k.meta, 'rb_wait_until') ?? '0');
    if (!this.keyspace.has(k.pending) || !this.keyspace.has(k.reservations)) {
      this.keyspace.delete(k.pending);
      this.keyspace.delete(k.reservations);
      if (now + window > waitUntil) waitUntil = now + window;
    }
    if (status !== 'rebuilding') this.hset(k.meta, 'resume', status ?? 'active');
    this.hset(k.meta, 'status', 'rebuilding');
    this.hset(k.meta, 'rb_owner', owner);
    this.hset(k.meta, 'rb_until', String(lease));
    this.hset(k.meta, 'rb_wait_until', String(waitUntil));
    this.addSentinels(k);
    return ['BEGAN', String(waitUntil)];
  }

  private loadBeginScript(k: CouponKeys, owner: string, coupon: GateCoupon, priorityMs: number): 1 | 0 {
    if (this.hget(k.meta, 'status') !== 'rebuilding' || this.hget(k.meta, 'rb_owner') !== owner) return 0;
    this.keyspace.delete(k.buyers);
    this.keyspace.delete(k.idem);
    this.addSentinels(k);
    this.hset(k.meta, 'resume', coupon.closed ? 'closed' : 'active');
    this.setSettings(k, coupon);
    this.hset(k.meta, 'sold', '0');
    this.hset(k.meta, 'rsv', String(priorityMs));
    this.hdel(k.meta, 'resume_rsv');
    return 1;
  }

  private loadEndScript(k: CouponKeys, owner: string): number {
    if (this.hget(k.meta, 'status') !== 'rebuilding' || this.hget(k.meta, 'rb_owner') !== owner) return -1;
    for (const [field, user] of [...(this.hash(k.meta) ?? [])]) {
      if (!field.startsWith('ret:')) continue;
      this.removeOwned(k, user, field.slice(4));
      this.hdel(k.meta, field);
    }
    for (const [order, reservation] of [...(this.hash(k.reservations) ?? [])]) {
      if (order === SENTINEL) continue;
      const newline = reservation.indexOf('\n');
      const user = reservation.slice(0, newline);
      const key = reservation.slice(newline + 1);
      const owned = this.hget(k.buyers, user);
      const held = owned !== undefined && owned.split(',').includes(order);
      if (!held) {
        this.hset(k.buyers, user, owned === undefined ? order : `${owned},${order}`);
        if (key !== '') this.hset(k.idem, idempotencyField(user, key), order);
      }
    }
    let sold = 0;
    for (const [user, owned] of this.hash(k.buyers) ?? []) if (user !== SENTINEL) sold += ownedCount(owned);
    this.hset(k.meta, 'sold', String(sold));
    const resume = this.hget(k.meta, 'resume');
    if (resume !== undefined) this.hset(k.meta, 'status', resume);
    const rsv = this.hget(k.meta, 'resume_rsv');
    if (rsv !== undefined) this.hset(k.meta, 'rsv', rsv);
    this.hdel(k.meta, 'resume', 'rb_owner', 'rb_until', 'rb_wait_until', 'resume_rsv');
    return sold;
  }

  // ---- the scripts' PRELUDE ----------------------------------------------------------------------------------

  private present(k: CouponKeys): number {
    return namesOf(k).filter((key) => this.keyspace.has(key)).length;
  }

  private addSentinels(k: CouponKeys): void {
    if (this.hget(k.buyers, SENTINEL) === undefined) this.hset(k.buyers, SENTINEL, '1');
    if (this.hget(k.idem, SENTINEL) === undefined) this.hset(k.idem, SENTINEL, '1');
    if (!this.zset(k.pending)?.has(SENTINEL)) this.zadd(k.pending, Number.POSITIVE_INFINITY, SENTINEL);
    if (this.hget(k.reservations, SENTINEL) === undefined) this.hset(k.reservations, SENTINEL, '1');
  }

  private removeOwned(k: CouponKeys, user: string, order: string): boolean {
    const owned = this.hget(k.buyers, user);
    if (owned === undefined) return false;
    const ids = owned.split(',').filter((id) => id !== '');
    if (!ids.includes(order)) return false;
    const kept = ids.filter((id) => id !== order);
    if (kept.length === 0) this.hdel(k.buyers, user);
    else this.hset(k.buyers, user, kept.join(','));
    this.hincrby(k.meta, 'sold', -1);
    return true;
  }

  private setSettings(k: CouponKeys, coupon: GateCoupon): void {
    this.hset(k.meta, 'rev', coupon.revision.toString());
    this.hset(k.meta, 'total', String(coupon.totalStock));
    this.hset(k.meta, 'limit', String(coupon.perUserLimit));
    this.hset(k.meta, 'start', String(coupon.saleStartsAtMs));
    this.hset(k.meta, 'end', String(coupon.saleEndsAtMs));
    this.hset(k.meta, 'minage', String(coupon.minAccountAgeSeconds));
    this.hset(k.meta, 'type', coupon.couponType);
    this.hset(k.meta, 'inactive', coupon.deactivated ? '1' : '0');
    this.hset(k.meta, 'minspend', String(coupon.minSpendCents));
    this.hset(k.meta, 'vdays', coupon.validDays === null ? '' : String(coupon.validDays));
    this.hset(k.meta, 'vuntil', coupon.validUntilMs === null ? '' : String(coupon.validUntilMs));
  }

  private metaNumber(k: CouponKeys, field: string): number {
    return Number(this.hget(k.meta, field));
  }

  // ---- a few Redis commands over the keyspace ----------------------------------------------------------------

  private hash(key: string): Hash | undefined {
    const value = this.keyspace.get(key);
    return value?.type === 'hash' ? value.hash : undefined;
  }

  private zset(key: string): SortedSet | undefined {
    const value = this.keyspace.get(key);
    return value?.type === 'zset' ? value.zset : undefined;
  }

  private set(key: string): Set<string> | undefined {
    const value = this.keyspace.get(key);
    return value?.type === 'set' ? value.set : undefined;
  }

  private hget(key: string, field: string): string | undefined {
    return this.hash(key)?.get(field);
  }

  private hset(key: string, field: string, value: string): void {
    let hash = this.hash(key);
    if (!hash) this.keyspace.set(key, { type: 'hash', hash: (hash = new Map()) });
    hash.set(field, value);
  }

  private hdel(key: string, ...fields: readonly string[]): void {
    const hash = this.hash(key);
    if (!hash) return;
    for (const field of fields) hash.delete(field);
    if (hash.size === 0) this.keyspace.delete(key);
  }

  private hincrby(key: string, field: string, by: number): void {
    this.hset(key, field, String(Number(this.hget(key, field) ?? '0') + by));
  }

  private zadd(key: string, score: number, member: string): void {
    let zset = this.zset(key);
    if (!zset) this.keyspace.set(key, { type: 'zset', zset: (zset = new Map()) });
    zset.set(member, score);
  }

  private zrem(key: string, ...members: readonly string[]): void {
    const zset = this.zset(key);
    if (!zset) return;
    for (const member of members) zset.delete(member);
    if (zset.size === 0) this.keyspace.delete(key);
  }

  private sadd(key: string, member: string): void {
    let set = this.set(key);
    if (!set) this.keyspace.set(key, { type: 'set', set: (set = new Set()) });
    set.add(member);
  }

  private srem(key: string, member: string): void {
    const set = this.set(key);
    if (!set) return;
    set.delete(member);
    if (set.size === 0) this.keyspace.delete(key);
  }

  private keys(couponId: string): CouponKeys {
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

  /** Answers on a later microtask, as a round trip would; rejects while the gate is unreachable. */
  private async guard<T>(call: () => T): Promise<T> {
    await Promise.resolve();
    if (!this.reachable)
      throw new DependencyUnavailableError('redis', new Error('unreachable (InMemoryStockGate switch)'));
    return call();
  }
}

/** The five key names, in the scripts' KEYS order. */
const namesOf = (keys: CouponKeys): string[] => GATE_KEYS.map((name) => keys[name]);

/** owned_count in the Lua prelude: the number of comma-separated order ids, 0 for none. */
const ownedCount = (owned: string | undefined): number => (owned === undefined ? 0 : owned.split(',').length);

/** How Redis prints a sorted-set score (ZRANGE … WITHSCORES). */
const formatScore = (score: number): string =>
  score === Number.POSITIVE_INFINITY ? 'inf' : score === Number.NEGATIVE_INFINITY ? '-inf' : String(score);

const toOutcome = (reply: readonly string[]): PurchaseOutcome => {
  const [outcome = '', detail] = reply;
  if (outcome === 'RESERVED') return reservedOf(reply);
  if (outcome === 'REPLAYED' && detail) return { kind: 'replayed', orderId: detail };
  if (REFUSALS.has(outcome))
    return { kind: 'refused', reason: outcome as SeckillRefusal, orderIds: detail ? detail.split(',') : [] };
  throw new Error(`unexpected gate reply ${JSON.stringify(reply)}`);
};
