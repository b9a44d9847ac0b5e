import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from './clock-port';
import type { EventStore } from './event-store-port';
import { GateDerivation } from './gate-derivation';
import type { Logger } from './logger-port';
import type { StockGate } from './stock-gate-port';

export interface GateRecoveryOptions {
  /** Who this process is in recovery leases (unique per process). */
  readonly owner: string;
  /**
   * The longest a seckill's append may take (SeckillHandler's append deadline): after losing a coupon's pending
   * reservations, the recovery reads the event store only once every append reserved before can no longer land.
   */
  readonly appendTimeoutMs: number;
  /** Added to the append timeout: the commit of an append that passed its last deadline check. */
  readonly inFlightMarginMs: number;
  /** How long a recoverer's hold on a coupon lasts without it finishing (a crashed recoverer is replaced after). */
  readonly leaseMs: number;
  readonly pageSize: number;
  /**
   * How long after the window opens live buyers of a coupon with live reservations wait (COUPONKILL_RESERVATION_
   * PRIORITY_MS): a rebuilt coupon gets it back while the log holds a pending or firing reservation of it.
   */
  readonly reservationPriorityMs?: number;
}

export const DEFAULT_RECOVERY_OPTIONS: Omit<GateRecoveryOptions, 'owner' | 'appendTimeoutMs'> = {
  inFlightMarginMs: 2000,
  leaseMs: 60_000,
  pageSize: 5000,
};

export interface RecoveryReport {
  /** Coupons loaded from the event store. */
  readonly coupons: number;
  /** Live orders they hold. */
  readonly liveOrders: number;
  /** Events read. */
  readonly events: number;
  /** Coupons another process was recovering (left to it). */
  readonly busy: number;
  /**
   * Coupons this pass stopped but could not load: their keys vanished or another recoverer took the lease over while
   * the log was read (a Redis losing keys again mid-pass). A full pass with any leaves the gate unmarked.
   */
  readonly lost: number;
  /** How long sales stayed stopped waiting for appends in flight when pending reservations were lost. */
  readonly waitedMs: number;
}

/** Progress of a pass: events read so far, out of the log's head when the pass began. */
export type RecoveryProgress = (done: number, total: number) => void;

const ALL = 'all' as const;
type Targets = ReadonlySet<string> | typeof ALL;

/**
 * Recreates gate state from the event store (ARCHITECTURE invariant 5), for the coupons whose keys are lost or
 * damaged, or for all of them (the CLI's rebuild-stock, a write-api starting on an empty Redis, a gate found
 * uninitialised). No path assumes "nothing was sold": sold units, buyers and idempotency keys always come from the
 * log plus the pending reservations, and a coupon sells nothing from the moment its damage is seen until its state is
 * loaded again. A pass:
 *
 * 1. reads the whole log (sales of healthy coupons go on meanwhile);
 * 2. stops the coupons' sales under a lease (Redis), recreating lost keys; other processes' live leases are left be;
 * 3. when a coupon's pending reservations were lost, waits until appends reserved before can no longer land;
 * 4. reads the log again from where step 1 stopped (everything sold until step 2 is in it by then);
 * 5. loads each coupon, keeping the pending reservations that survived, and reopens its sales.
 *
 * Requests for coupons that arrive during a pass are served together by the next one, so a burst of damaged coupons
 * costs one read of the log, not one each.
 */
export class GateRecovery {
  private queued = new Set<string>();
  private queuedAll = false;
  /** The pass running now, and the one that will run after it with everything asked for meanwhile. */
  private current: Promise<RecoveryReport> | null = null;
  private upcoming: Promise<RecoveryReport> | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly gate: StockGate,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: GateRecoveryOptions,
    private readonly onPass: (report: RecoveryReport, seconds: number) => void = () => undefined,
  ) {}

  /**
   * Recovers these coupons; resolves with the report of the pass that loaded them (rejects when that pass failed).
   * An uninitialised gate (Redis lost everything) is recovered whole.
   */
  recover(couponIds: readonly string[]): Promise<RecoveryReport> {
    for (const couponId of couponIds) this.queued.add(couponId);
    return this.schedule();
  }

  /**
   * Recovers every coupon the event store or the gate knows, and marks the gate initialised. Coupons another process
   * is recovering at the same time, and coupons lost again while this pass loaded them, are passed over again (a pass
   * every second, up to the lease), so that when this resolves every coupon's stock has been rebuilt, by this process
   * or the other.
   */
  async rebuildAll(progress?: RecoveryProgress): Promise<RecoveryReport> {
    const started = this.clock.now().getTime();
    let waitedMs = 0;
    for (;;) {
      this.queuedAll = true;
      const report = await this.schedule(progress);
      waitedMs += report.waitedMs;
      if (report.busy + report.lost === 0 || this.clock.now().getTime() - started > this.options.leaseMs)
        return { ...report, waitedMs };
      await sleep(1000);
    }
  }

  private schedule(progress?: RecoveryProgress): Promise<RecoveryReport> {
    if (this.upcoming) return this.upcoming;
    const before = this.current;
    const upcoming = (async () => {
      // Always yields first, so `upcoming` is set before anything below runs.
      await (before ?? Promise.resolve()).catch(() => undefined);
      this.upcoming = null;
      const targets: Targets = this.queuedAll ? ALL : new Set(this.queued);
      this.queued = new Set();
      this.queuedAll = false;
      const run = this.pass(targets, progress);
      this.current = run;
      try {
        return await run;
      } finally {
        if (this.current === run) this.current = null;
      }
    })();
    this.upcoming = upcoming;
    return upcoming;
  }

  private async pass(requested: Targets, progress?: RecoveryProgress): Promise<RecoveryReport> {
    const startedAt = this.clock.now().getTime();
    const targets: Targets = requested !== ALL && !(await this.gate.isInitialised()) ? ALL : requested;
    const derivation = new GateDerivation(
      targets === ALL ? null : targets,
      this.options.reservationPriorityMs ?? 0,
    );
    const head = await this.store.headPosition();
    const scanned = await this.read(derivation, 0n, head, progress);

    const candidates = new Set(derivation.couponIds());
    if (targets === ALL)
      for (const id of [...(await this.gate.couponIds()), ...(await this.gate.scanCouponIds())])
        candidates.add(id);
    else for (const id of targets) candidates.add(id);

    const began: string[] = [];
    let busy = 0;
    let waitUntil = 0;
    try {
      for (const couponId of candidates) {
        if (!derivation.snapshot(couponId)) {
          // The log holds no such coupon: keys of it in the gate are leftovers (another store, a dropped test).
          if (targets === ALL) await this.gate.forget(couponId);
          continue;
        }
        const now = this.clock.now().getTime();
        const start = await this.gate.beginRecovery(
          couponId,
          this.options.owner,
          now,
          now + this.options.leaseMs,
          this.options.appendTimeoutMs + this.options.inFlightMarginMs,
        );
        if (start.kind === 'busy') {
          busy += 1;
          continue;
        }
        began.push(couponId);
        waitUntil = Math.max(waitUntil, start.waitUntilMs);
      }
      const waitedMs = Math.max(0, waitUntil - this.clock.now().getTime());
      if (waitedMs > 0) {
        this.logger.warn(
          { coupons: began.length, waitMs: waitedMs },
          'pending reservations were lost: waiting for appends in flight before reading the event store',
        );
        await sleep(waitedMs);
      }
      await this.read(derivation, scanned, null);
      let liveOrders = 0;
      let loaded = 0;
      for (const couponId of began) {
        const snapshot = derivation.snapshot(couponId);
        if (!snapshot) continue;
        if (await this.gate.loadRecovered(snapshot, this.options.owner)) {
          loaded += 1;
          liveOrders += snapshot.sold;
        }
      }
      const lost = began.length - loaded;
      // A coupon lost mid-pass would stay unknown to every process if the gate said "initialised" over it.
      if (targets === ALL && lost === 0) await this.gate.markInitialised();
      const report = { coupons: loaded, liveOrders, events: derivation.events, busy, lost, waitedMs };
      const seconds = (this.clock.now().getTime() - startedAt) / 1000;
      this.onPass(report, seconds);
      this.logger.info({ ...report, seconds }, 'stock gate recovered from the event store');
      return report;
    } catch (error) {
      // Sales of these coupons stay stopped (nothing may be sold while the gate cannot be derived); giving up the
      // leases lets the next pass, here or in another process, start at once.
      await Promise.allSettled(
        began.map((couponId) => this.gate.releaseRecovery(couponId, this.options.owner)),
      );
      this.logger.warn(
        { err: error, coupons: began.length },
        'stock gate recovery failed; the next request retries',
      );
      throw error;
    }
  }

  /** Folds the log after `after` (up to `until` when given, else to its end); returns the last position read. */
  private async read(
    derivation: GateDerivation,
    after: bigint,
    until: bigint | null,
    progress?: RecoveryProgress,
  ): Promise<bigint> {
    let position = after;
    for (;;) {
      const page = await this.store.readAll(position, this.options.pageSize);
      for (const event of page) derivation.apply(event);
      const last = page.at(-1);
      if (last) position = last.position;
      if (until !== null) progress?.(Number(position), Number(until));
      if (!last || page.length < this.options.pageSize) return position;
    }
  }
}

/**
 * The coupon's gate state is being rebuilt from the event store (its keys were lost or damaged): it sells nothing
 * until then. HTTP 503 GATE_RECOVERING with Retry-After.
 */
export class GateRecoveringError extends Error {
  constructor(readonly couponId: string) {
    super(
      `sales of coupon ${couponId} are paused while its stock is rebuilt from the event store; retry shortly`,
    );
    this.name = 'GateRecoveringError';
  }
}
