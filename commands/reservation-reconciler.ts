import { orderDecider } from '../domain/order/order-decider';
import { orderStreamId } from '../domain/order/order-events';
import type { Clock } from './clock-port';
import type { CouponCommands } from './coupon-commands';
import { systemContext, withMetadata } from './command-context';
import { WrongExpectedRevisionError, type EventStore } from './event-store-port';
import type { IdGenerator } from './id-generator-port';
import type { Logger } from './logger-port';
import type { PendingReservation, StockGate } from './stock-gate-port';

export type Settlement = 'kept' | 'released';

export interface ReconcilerOptions {
  /** A reservation younger than this may still be on its way to the event store and is left alone. */
  readonly graceMs: number;
  readonly intervalMs: number;
  readonly batchSize: number;
  /** Every this many sweeps, re-apply each coupon's settings from the event store to the gate. */
  readonly couponSyncEvery: number;
}

export interface SweepReport {
  readonly kept: number;
  readonly released: number;
}

/**
 * Settles reservations: kept when their order is in the event store, released (unit back to stock) when it never got
 * there. Releasing first appends `SeckillAbandoned` to the order's stream with "no stream expected", which fences
 * out a late `OrderPlaced`: whichever append wins decides, so any number of reconcilers and a slow writer agree.
 */
export class ReservationReconciler {
  private timer: NodeJS.Timeout | undefined;
  private sweeps = 0;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: EventStore,
    private readonly gate: StockGate,
    private readonly coupons: CouponCommands,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly logger: Logger,
    private readonly options: ReconcilerOptions,
    private readonly onSettled: (settlement: Settlement) => void = () => undefined,
  ) {}

  start(): void {
    const tick = (): void => {
      this.running = this.sweep()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'reservation sweep failed; will retry'))
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
    const couponIds = await this.gate.couponIds();
    if (this.sweeps++ % this.options.couponSyncEvery === 0) {
      for (const couponId of couponIds) await this.coupons.syncToGate(couponId);
    }
    for (const couponId of couponIds) {
      for (;;) {
        const pending = await this.gate.pendingOlderThan(couponId, cutoff, this.options.batchSize);
        const settled = await Promise.all(
          pending.map((reservation) => this.settle(reservation, 'reservation expired')),
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

  /** Settles one reservation now. Safe to call concurrently and repeatedly. */
  async settle(reservation: PendingReservation, reason: string): Promise<Settlement> {
    const { couponId, orderId } = reservation;
    for (;;) {
      const events = await this.store.readStream(orderStreamId(orderId));
      if (events.some((e) => e.type === 'OrderPlaced')) {
        await this.gate.confirm(couponId, [orderId]);
        return this.settled('kept');
      }
      if (events.length > 0) {
        await this.gate.release(couponId, orderId);
        return this.settled('released');
      }
      if (await this.fence(reservation, reason)) {
        await this.gate.release(couponId, orderId);
        return this.settled('released');
      }
    }
  }

  /** Settles in the background, for a request that must answer now; failures are left to the next sweep. */
  settleLater(reservation: PendingReservation, reason: string): void {
    this.settle(reservation, reason).catch((error: unknown) =>
      this.logger.warn(
        { err: error, orderId: reservation.orderId },
        'could not settle reservation now; the reconciler will',
      ),
    );
  }

  private async fence({ couponId, orderId, userId }: PendingReservation, reason: string): Promise<boolean> {
    const now = this.clock.now();
    const events = orderDecider.decide(
      { type: 'AbandonSeckill', data: { orderId, couponId, userId, now, reason } },
      orderDecider.initialState,
    );
    try {
      await this.store.append(
        orderStreamId(orderId),
        withMetadata(events, systemContext(orderId), now, () => this.ids.newId()),
        'no_stream',
      );
      return true;
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return false;
      throw error;
    }
  }

  private settled(settlement: Settlement): Settlement {
    this.onSettled(settlement);
    return settlement;
  }
}
