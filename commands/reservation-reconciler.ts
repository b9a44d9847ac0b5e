import type { Clock } from './clock-port';
import type { GateRecovery } from './gate-recovery';
import type { GateSync } from './gate-sync';
import type { Logger } from './logger-port';
import type { ReservationSettlement } from './reservation-settlement';
import type { StockGate } from './stock-gate-port';

export interface ReconcilerOptions {
  /** A reservation younger than this may still be on its way to the event store and is left alone. */
  readonly graceMs: number;
  readonly intervalMs: number;
  readonly batchSize: number;
  /**
   * Every this many sweeps, re-apply each coupon's settings from the event store to the gate, look for coupons whose
   * keys are damaged or missing from the registry, and recover the whole gate if it lost everything.
   */
  readonly couponSyncEvery: number;
}

export interface SweepReport {
  readonly kept: number;
  readonly released: number;
}

/** How a timed sweep ended: `ok` with its report, or `failed` (logged; the next tick retries). */
export type SweepOutcome =
  { readonly result: 'ok'; readonly report: SweepReport } | { readonly result: 'failed' };

/**
 * Sweeps the gate on a timer: every reservation older than the grace period is settled (ReservationSettlement), and
 * every so often each coupon's settings are re-applied from the event store (GateSync, which hands damaged coupons
 * to GateRecovery); a gate that lost everything is recovered whole, even when no buyer comes.
 */
export class ReservationReconciler {
  private timer: NodeJS.Timeout | undefined;
  private sweeps = 0;
  private running: Promise<unknown> = Promise.resolve();
  /** Coupons found by scanning the gate: swept even when the registry lost them. */
  private scanned: readonly string[] = [];
  /**
   * Every coupon this reconciler has synced and the event store holds: synced again even when Redis lost its keys and
   * its registry entry but kept the initialised marker (an eviction, or a loss racing a rebuild that marked the gate
   * after it), which neither the registry nor a scan would show and no buyer may come to reveal.
   */
  private readonly known = new Set<string>();

  constructor(
    private readonly gate: StockGate,
    private readonly settlement: ReservationSettlement,
    private readonly sync: GateSync,
    private readonly recovery: GateRecovery,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private options: ReconcilerOptions,
    /** Told after every timed sweep (the metrics: a reconciler that stops succeeding leaves reservations unsettled). */
    private readonly onSweep: (outcome: SweepOutcome) => void = () => undefined,
  ) {}

  /** New timings (live configuration): the next sweep is scheduled and judged by them. */
  retime(timings: Pick<ReconcilerOptions, 'graceMs' | 'intervalMs'>): void {
    this.options = { ...this.options, ...timings };
  }

  start(): void {
    const tick = (): void => {
      this.running = this.sweep()
        .then(
          (report) => this.onSweep({ result: 'ok', report }),
          (error: unknown) => {
            this.onSweep({ result: 'failed' });
            this.logger.warn({ err: error }, 'reservation sweep failed; will retry');
          },
        )
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.options.intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, this.options.intervalMs).unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over every coupon's reservations older than the grace period. */
  async sweep(): Promise<SweepReport> {
    const cutoff = this.clock.now().getTime() - this.options.graceMs;
    let kept = 0;
    let released = 0;
    if (this.sweeps++ % this.options.couponSyncEvery === 0) {
      if (!(await this.gate.isInitialised())) await this.recovery.rebuildAll();
      this.scanned = await this.gate.scanCouponIds();
      const couponIds = new Set([...(await this.gate.couponIds()), ...this.scanned, ...this.known]);
      for (const couponId of couponIds) {
        if (await this.sync.syncCoupon(couponId)) this.known.add(couponId);
        else this.known.delete(couponId);
      }
    }
    const couponIds = new Set([...(await this.gate.couponIds()), ...this.scanned]);
    for (const couponId of couponIds) {
      for (;;) {
        const pending = await this.gate.pendingOlderThan(couponId, cutoff, this.options.batchSize);
        const settled = await Promise.all(
          pending.map((reservation) => this.settlement.settle(reservation, 'reservation expired')),
        );
        kept += settled.filter((s) => s === 'kept').length;
        released += settled.filter((s) => s === 'released').length;
        if (pending.length < this.options.batchSize) break;
      }
    }
    if (released > 0)
      this.logger.info({ kept, released }, 'released reservations that never reached the event store');
    return { kept, released };
  }
}
