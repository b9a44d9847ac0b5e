import type { Clock } from '../commands/clock-port';
import { DependencyUnavailableError } from '../commands/dependency-error';
import { OverloadedError } from '../commands/overloaded-error';
import type { Logger } from '../commands/logger-port';
import type { ExpiryOutcome } from '../commands/order-handlers';
import type { DueOrder, DueOrders } from './orders/due-orders';
import type { PartitionLeases } from './partition-leases-port';
import { PartitionOwnership } from './partition-ownership';

/** The decisions the process asks of the order aggregate (commands/order-handlers.ts). */
export interface ExpiryDecisions {
  expire(orderId: string): Promise<ExpiryOutcome>;
  noticeExpiry(orderId: string, leadMs: number): Promise<ExpiryOutcome>;
}

export interface OrderExpiryOptions {
  /** Time between the end of one sweep and the start of the next (COUPONKILL_ORDER_EXPIRY_INTERVAL_MS). */
  readonly intervalMs: number;
  /** An order's expiry is noticed this long before its validity ends (COUPONKILL_ORDER_EXPIRY_NOTICE_LEAD_SECONDS). */
  readonly noticeLeadMs: number;
  /** Due orders read per query. */
  readonly pageSize: number;
  /** Decisions made at once. */
  readonly concurrency: number;
  /** This process's name in the group: unique per process. */
  readonly member: string;
  /** The leader's lease lapses this long after its last heartbeat (COUPONKILL_PROJECTOR_LEASE_MS). */
  readonly leaseMs: number;
  readonly heartbeatMs: number;
}

export interface SweepReport {
  /** Orders the sweep appended OrderExpired to. */
  readonly expired: number;
  /** Orders the sweep appended OrderExpiryNoticed to. */
  readonly noticed: number;
  /** Due orders looked at that had nothing to do (already moved on: a lagging read model, another replica). */
  readonly unchanged: number;
  /** Decisions that failed (logged; the order is due again on the next sweep). */
  readonly failed: number;
}

/**
 * The time-driven half of the order lifecycle: every `intervalMs`, orders whose validity ended get OrderExpired, and
 * orders whose validity ends within the lead time get OrderExpiryNoticed, once each.
 *
 * It runs in every process that runs the orders projector, and sweeps in one of them at a time: the holder of the
 * one lease of the `order-expiry` group (the projectors' lease table, its clock the database's). Leadership only
 * saves work; correctness never depends on it: every decision is made on the order's own stream and appended
 * expecting the revision it was made on (OrderHandlers.expire), so two sweepers at once (a leader paused past its
 * lease, a test) never expire or notice an order twice, and a use or cancellation racing an expiry ends in exactly
 * one of them. Due orders are found through the orders read model's indexes (DueOrders), never by reading the log.
 */
export class OrderExpiry {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private ownership: PartitionOwnership | undefined;
  private stopped = false;

  constructor(
    private readonly due: DueOrders,
    private readonly decisions: ExpiryDecisions,
    private readonly leases: PartitionLeases,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: OrderExpiryOptions,
    private readonly onSweep: (report: SweepReport) => void = () => undefined,
  ) {}

  /** Whether this process holds the lease now (and so sweeps). */
  get leading(): boolean {
    return this.ownership?.owned.has(0) ?? false;
  }

  /** Joins the group (the first heartbeat may make it the leader) and starts the timer. */
  async start(): Promise<void> {
    const ownership = new PartitionOwnership(
      'order-expiry',
      this.leases,
      () => Promise.resolve(), // nothing to fence: every append is fenced by its expected revision
      this.logger,
      {
        member: this.options.member,
        partitions: 1,
        leaseMs: this.options.leaseMs,
        heartbeatMs: this.options.heartbeatMs,
      },
    );
    await ownership.start();
    this.ownership = ownership;
    const tick = (): void => {
      this.running = this.step(ownership)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'order expiry sweep failed; will retry'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, this.options.intervalMs).unref();
  }

  /**
   * Sweeps while leading. A lease the group asked back (another member joined and the fair share moved it) is
   * handed back between sweeps, never during one: that is when another member may take it.
   */
  private async step(ownership: PartitionOwnership): Promise<void> {
    if (this.leading) await this.sweep();
    else await ownership.handBack([0]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.ownership?.stop();
  }

  /**
   * One pass: expire what is due, then notice what is coming (an order due for both is expired, never noticed).
   * Leader or not: callable directly, and safe beside any other sweep.
   */
  async sweep(): Promise<SweepReport> {
    const counts = { expired: 0, noticed: 0, unchanged: 0, failed: 0 };
    if ((await this.due.shards()) === null) return counts;
    const now = this.clock.now();
    const { pageSize, noticeLeadMs } = this.options;
    await this.due.walk('expiry', now, noticeLeadMs, pageSize, (page) =>
      this.decideAll(page, counts, 'expired', (order) => this.decisions.expire(order.orderId)),
    );
    if (noticeLeadMs > 0)
      await this.due.walk('notice', now, noticeLeadMs, pageSize, (page) =>
        this.decideAll(page, counts, 'noticed', (order) =>
          this.decisions.noticeExpiry(order.orderId, noticeLeadMs),
        ),
      );
    if (counts.expired + counts.noticed + counts.failed > 0) this.logger.info(counts, 'order expiry sweep');
    this.onSweep(counts);
    return counts;
  }

  private async decideAll(
    page: readonly DueOrder[],
    counts: { expired: number; noticed: number; unchanged: number; failed: number },
    done: 'expired' | 'noticed',
    decide: (order: DueOrder) => Promise<ExpiryOutcome>,
  ): Promise<void> {
    const queue = [...page];
    const worker = async (): Promise<void> => {
      for (let order = queue.shift(); order; order = queue.shift()) {
        try {
          if ((await decide(order)) === 'appended') counts[done] += 1;
          else counts.unchanged += 1;
        } catch (error) {
          // The event store is down or full: the rest of the sweep would fail alike. The next sweep retries.
          if (error instanceof DependencyUnavailableError || error instanceof OverloadedError) throw error;
          counts.failed += 1;
          this.logger.warn({ err: error, orderId: order.orderId }, `order could not be ${done}; due again`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, queue.length) }, worker));
  }
}
