import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../../commands/clock-port';
import type { Logger } from '../../commands/logger-port';
import type { SaleStats, SaleStatsReading } from '../../commands/sale-stats-port';
import { SaleStatsTally, type TallyBatch } from '../../commands/sale-stats-tally';
import { guardRedisCall } from './redis-errors';

/** How long a coupon's counts live after its last flush, in seconds (30 days): stats of old sales go away. */
export const SALE_STATS_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Adds one process's batch of one coupon, once. KEYS[1] the coupon's counts (hash code → n), KEYS[2] the last batch
 * number applied per process (hash process id → seq); ARGV: process id, batch number, TTL in seconds, then code, n
 * pairs. A batch already applied (a resend after a lost or timed-out answer) changes nothing: 0; else 1.
 */
const FLUSH_LUA = `
local done = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if done >= tonumber(ARGV[2]) then return 0 end
for i = 4, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
`;

const FLUSH_COMMAND = 'couponkillSaleStatsFlush';

interface FlushPipeline {
  [FLUSH_COMMAND](stats: string, applied: string, ...args: (string | number)[]): FlushPipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
}

export interface RedisSaleStatsOptions {
  /** The key prefix (COUPONKILL_REDIS_KEY_PREFIX). */
  readonly prefix: string;
  /** How often counts are added to Redis, in ms. */
  readonly flushMs: number;
  readonly ttlSeconds?: number;
}

/**
 * SaleStats on Redis. Counts are kept in memory (SaleStatsTally) and added every `flushMs` in one pipeline: per
 * coupon, one script call that HINCRBYs `<prefix>:sale-stats:{<couponId>}` (the gate's hash tag, so each coupon's two
 * keys share a Cluster slot) unless this process's batch number says it was added already. A failed flush keeps
 * its batch and resends it next tick (logged once per outage); `stop` flushes a last time.
 *
 * Uses the process's start-up Redis (the one the auth quotas use), not the gate's live topology: the counts stay
 * where readers look for them whichever Redis the gate moves to.
 */
export class RedisSaleStats implements SaleStats {
  private readonly tally = new SaleStatsTally();
  /** Names this process's batches in Redis: a restarted process starts numbering afresh under a new id. */
  private readonly processId = randomUUID();
  private readonly ttlSeconds: number;
  private flushMs: number;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private failing = false;

  constructor(
    private readonly redis: Redis,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: RedisSaleStatsOptions,
  ) {
    this.flushMs = options.flushMs;
    this.ttlSeconds = options.ttlSeconds ?? SALE_STATS_TTL_SECONDS;
    if (!(FLUSH_COMMAND in redis)) redis.defineCommand(FLUSH_COMMAND, { numberOfKeys: 2, lua: FLUSH_LUA });
  }

  record(couponId: string, code: string): void {
    this.tally.record(couponId, code);
  }

  async read(couponId: string): Promise<SaleStatsReading> {
    const { stored, applied } = await guardRedisCall(async () => {
      // One transaction on the connection the flushes use: a flush sent before it is in both answers, one sent after
      // in neither, so this process's pending batch is counted exactly once below.
      const answers = await this.redis
        .multi()
        .hgetall(this.countsKey(couponId))
        .hget(this.appliedKey(couponId), this.processId)
        .exec();
      const [counts, flushed] = answers ?? [];
      if (counts === undefined || flushed === undefined) throw new Error('transaction aborted');
      const failed = counts[0] ?? flushed[0];
      if (failed) throw failed;
      return { stored: counts[1] as Record<string, string>, applied: flushed[1] as string | null };
    });
    const outcomes: Record<string, number> = {};
    for (const [code, n] of Object.entries(stored)) outcomes[code] = Number(n);
    for (const [code, n] of this.tally.unflushed(couponId, Number(applied ?? 0)))
      outcomes[code] = (outcomes[code] ?? 0) + n;
    return { couponId, outcomes, asOf: this.clock.now() };
  }

  /** Flushes every `flushMs` from now on. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  /** Flushes every `flushMs` from now on (a live change of COUPONKILL_SALE_STATS_FLUSH_MS). */
  retime(flushMs: number): void {
    if (flushMs === this.flushMs) return;
    this.flushMs = flushMs;
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
    this.start();
  }

  /** Stops the timer and flushes once more (what is still owed after that is lost with the process; logged). */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
    // The batch in flight at stop may have been the pending one: once more for what was counted meanwhile.
    await this.flush();
    if (this.tally.owed > 0)
      this.logger.warn(
        { coupons: this.tally.owed },
        'sale stats: Redis did not take the last counts at shutdown; they are lost',
      );
  }

  /** Sends what is owed, one pipeline; never throws. Concurrent calls share the flush in flight. */
  flush(): Promise<void> {
    return (this.flushing ??= this.send().finally(() => {
      this.flushing = null;
    }));
  }

  private async send(): Promise<void> {
    const batch = this.tally.nextBatch();
    if (batch === null) return;
    const pipeline = this.redis.pipeline() as unknown as FlushPipeline;
    const coupons = [...batch.coupons];
    for (const [couponId, counts] of coupons)
      pipeline[FLUSH_COMMAND](
        this.countsKey(couponId),
        this.appliedKey(couponId),
        this.processId,
        batch.seq,
        this.ttlSeconds,
        ...[...counts].flat(),
      );
    let failure: unknown = null;
    try {
      const answers = (await pipeline.exec()) ?? [];
      coupons.forEach(([couponId], i) => {
        const answer = answers[i];
        const error = answer === undefined ? new Error('no answer') : answer[0];
        if (error === null) this.tally.acknowledge(batch.seq, couponId);
        else failure ??= error;
      });
    } catch (error) {
      failure = error;
    }
    this.report(batch, failure);
  }

  /** One line when flushes start failing, one when they work again. */
  private report(batch: TallyBatch, failure: unknown): void {
    if (failure !== null && !this.failing) {
      this.failing = true;
      this.logger.warn(
        { reason: failure instanceof Error ? failure.message : 'no answer', coupons: batch.coupons.size },
        'sale stats: could not add counts to Redis; keeping them and retrying every flush',
      );
    } else if (failure === null && this.failing) {
      this.failing = false;
      this.logger.info({}, 'sale stats: Redis takes counts again');
    }
  }

  private countsKey(couponId: string): string {
    return `${this.options.prefix}:sale-stats:{${couponId}}`;
  }

  private appliedKey(couponId: string): string {
    return `${this.options.prefix}:sale-stats:{${couponId}}:flushed`;
  }
}
