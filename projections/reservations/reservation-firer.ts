import type { Clock } from '../../commands/clock-port';
import type { EventStore } from '../../commands/event-store-port';
import type { Logger } from '../../commands/logger-port';
import type { FiringOutcome, ReservationFiring } from '../../commands/reservation-firing';
import type { StockGate } from '../../commands/stock-gate-port';
import { couponEventsOf } from '../../commands/stored-events';
import { couponDecider } from '../../domain/coupon/coupon-decider';
import { couponStreamId } from '../../domain/coupon/coupon-events';
import { fold } from '../../domain/shared/event';
import type { PartitionLeases } from '../partition-leases-port';
import { PartitionOwnership } from '../partition-ownership';
import { partitionOfKey } from '../partitioning';
import type { ReservationQueue } from './reservations-queries';

export interface ReservationFirerOptions {
  /** This replica's name among the firers: unique per process. */
  readonly member: string;
  /** Coupons are spread over this many partitions; each is one firer's at a time (its lease). */
  readonly partitions: number;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  /** How often the queue is looked at (and a coupon being fired looked at again when nothing is left to do). */
  readonly pollMs: number;
  /** A failed purchase (a dependency down) is tried again after this. */
  readonly retryMs: number;
  /** Reservations fired per gate call. */
  readonly batchSize: number;
  /** How long after the window opens live buyers wait while reserved buyers fire (COUPONKILL_RESERVATION_PRIORITY_MS). */
  readonly priorityMs: number;
  /**
   * After the window opens, the firer reads the log's head once this long has passed: every reservation was stored by
   * then (placements are decided before the window opens and their appends carry it as deadline; the margin covers
   * the clocks of write-api and firer disagreeing). The priority ends early once the read model holds the log up to
   * that head and every reservation in it has ended.
   */
  readonly sealMarginMs: number;
}

/** A timer can wait at most this long (setTimeout's limit): later starts are waited for in steps. */
const MAX_TIMER_MS = 2_147_483_647;

/** Passes in a row without any reservation ending after which the line moves past an undecided purchase. */
const MAX_STALLED_PASSES = 5;

/**
 * Fires reservations when their coupon's window opens (the `reservation-firer` role; README, *Reservations*). Coupons
 * are spread over partitions held under leases (as projector replicas hold theirs), so several firers share the work
 * and a coupon is one firer's at a time; optimistic concurrency on each reservation's stream keeps two firers (a lease
 * handed over while the old holder still works) from both firing it. Before the window opens, the coupon's gate is
 * given its reservation priority; from the moment it opens, the coupon's live reservations are fired from the
 * reservations read model in line order, a batch at a time, until every reservation placed has ended, when the
 * priority is ended. Everything it knows survives it: a firer killed at any point is replaced (or restarted) and
 * resumes from the reservations' streams.
 */
export class ReservationFirer {
  private readonly ownership: PartitionOwnership;
  private readonly running = new Map<string, Promise<void>>();
  /** Coupons whose priority this firer set before their window: looked at again when it opens. */
  private readonly armed = new Set<string>();
  /** Reservations this firer saw end, per coupon: the read model shows them live a little longer. */
  private readonly ended = new Map<string, Set<string>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();
  /** Sleepers to wake early (a window opens, the firer stops). */
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly queue: ReservationQueue,
    private readonly firing: ReservationFiring,
    private readonly store: EventStore,
    private readonly gate: StockGate,
    leases: PartitionLeases,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: ReservationFirerOptions,
    private readonly onFired: (counts: Readonly<Record<FiringOutcome, number>>) => void = () => undefined,
  ) {
    this.ownership = new PartitionOwnership('reservation-firer', leases, () => Promise.resolve(), logger, {
      member: options.member,
      partitions: options.partitions,
      leaseMs: options.leaseMs,
      heartbeatMs: options.heartbeatMs,
    });
  }

  async start(): Promise<void> {
    await this.ownership.start();
    this.loop = this.run();
    this.logger.info({ member: this.options.member }, 'reservation firer started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.wakeAll();
    await this.loop;
    await Promise.allSettled(this.running.values());
    await this.ownership.stop();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.tick();
      } catch (error) {
        this.logger.warn({ err: error }, 'reservation firer: could not read its queue; retrying');
      }
      await this.sleep(this.options.pollMs);
    }
  }

  /** Stopping, or the coupon's lease went to another firer. */
  private halted(couponId: string): boolean {
    return this.stopped || !this.owns(couponId);
  }

  private owns(couponId: string): boolean {
    return this.ownership.owned.has(partitionOfKey(couponId, this.options.partitions));
  }

  private async tick(): Promise<void> {
    await this.handBackIdle();
    const live = await this.queue.liveCoupons();
    for (const couponId of this.ended.keys())
      if (!live.includes(couponId) && !this.running.has(couponId)) this.ended.delete(couponId);
    for (const couponId of new Set([...live, ...this.armed])) {
      if (this.stopped || !this.owns(couponId) || this.running.has(couponId)) continue;
      const run = this.runCoupon(couponId)
        .catch((error: unknown) =>
          this.logger.warn({ err: error, couponId }, 'reservation firer: coupon left for the next pass'),
        )
        .finally(() => this.running.delete(couponId));
      this.running.set(couponId, run);
    }
  }

  /**
   * Partitions the group asked back (another firer joined and the fair share moved them) are released once no coupon
   * of theirs is being fired here: until then the lease stays ours, so two firers never work on one coupon at once
   * (and one left unreleased would be fired by nobody).
   */
  private async handBackIdle(): Promise<void> {
    const withdrawn = this.ownership.withdrawnPartitions;
    if (withdrawn.length === 0) return;
    const { partitions } = this.options;
    const busy = new Set([...this.running.keys()].map((couponId) => partitionOfKey(couponId, partitions)));
    const idle = withdrawn.filter((p) => !busy.has(p));
    if (idle.length > 0) await this.ownership.handBack(idle);
  }

  private async runCoupon(couponId: string): Promise<void> {
    const coupon = fold(couponDecider, couponEventsOf(await this.store.readStream(couponStreamId(couponId))));
    if (coupon.status === 'absent') return;
    const startMs = Date.parse(coupon.saleStartsAt);
    if (coupon.status !== 'closed' && this.clock.now().getTime() < startMs) {
      if (!this.armed.has(couponId)) {
        await this.gate.setReservationPriority(couponId, this.options.priorityMs);
        this.armed.add(couponId);
      }
      this.wakeAt(startMs);
      return;
    }
    await this.fireAll(couponId, startMs);
  }

  /** Fires the coupon's live reservations in line order until every one placed has ended. */
  private async fireAll(couponId: string, startMs: number): Promise<void> {
    let ended = this.ended.get(couponId);
    if (!ended) this.ended.set(couponId, (ended = new Set()));
    let sealedAt: bigint | null = null;
    let stalled = 0;
    while (!this.stopped && this.owns(couponId)) {
      if (sealedAt === null && this.clock.now().getTime() >= startMs + this.options.sealMarginMs)
        sealedAt = await this.store.headPosition();
      const frontier = await this.queue.frontier();
      let cursor = 0n;
      let left = false;
      let progressed = false;
      for (;;) {
        const page = await this.queue.next(couponId, cursor, frontier, this.options.batchSize);
        const last = page.at(-1);
        if (!last) break;
        cursor = last.placedPosition;
        const batch = page.filter((r) => !ended.has(r.reservationId));
        if (batch.length > 0) {
          const result = await this.firing.fire(couponId, batch);
          for (const id of result.ended) ended.add(id);
          if (result.ended.length > 0) progressed = true;
          this.onFired(result.counts);
          // The line waits for a purchase left undecided (a unit a crashed attempt held, being settled; a dependency
          // that failed): firing the batches behind it first would give them its unit. Only a line stuck for
          // MAX_STALLED_PASSES passes in a row moves on past it, so one reservation cannot hold up the rest for ever.
          if (result.later.length > 0) {
            left = true;
            if (stalled < MAX_STALLED_PASSES) break;
          }
        }
        if (page.length < this.options.batchSize || this.halted(couponId)) break;
      }
      stalled = left && !progressed ? stalled + 1 : 0;
      if (!left && sealedAt !== null && frontier >= sealedAt) {
        // Every reservation placed is in the read model, and each has ended: live buyers need not wait any longer.
        await this.gate.setReservationPriority(couponId, 0);
        this.armed.delete(couponId);
        this.logger.info({ couponId, reservations: ended.size }, 'reservations of the coupon fired');
        return;
      }
      await this.sleep(left ? this.options.retryMs : this.options.pollMs);
    }
  }

  private wakeAt(atMs: number): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.wakeAll();
      },
      Math.min(MAX_TIMER_MS, Math.max(0, atMs - this.clock.now().getTime())),
    );
    timer.unref();
    this.timers.add(timer);
  }

  private wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  private async sleep(ms: number): Promise<void> {
    if (this.stopped) return;
    let timer: NodeJS.Timeout | undefined;
    let wake: (() => void) | undefined;
    await new Promise<void>((resolve) => {
      wake = resolve;
      this.sleepers.add(resolve);
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    if (wake) this.sleepers.delete(wake);
  }
}
