import { orderDecider } from '../domain/order/order-decider';
import { orderStreamId } from '../domain/order/order-events';
import type { Clock } from './clock-port';
import { systemContext, withMetadata } from './command-context';
import { WrongExpectedRevisionError, type EventStore } from './event-store-port';
import type { GateSync } from './gate-sync';
import type { IdGenerator } from './id-generator-port';
import type { Logger } from './logger-port';
import type { PendingReservation, StockGate } from './stock-gate-port';

/** `deferred`: the coupon's gate is damaged; its recovery settles the reservation (pending ones survive it). */
export type Settlement = 'kept' | 'released' | 'deferred';

/**
 * Settles one reservation: kept when its order is in the event store, released (unit back to stock) when it never got
 * there. Releasing first appends `SeckillAbandoned` to the order's stream with "no stream expected", which fences out
 * a late `OrderPlaced`: whichever append wins decides, so any number of settlers and a slow writer agree.
 */
export class ReservationSettlement {
  constructor(
    private readonly store: EventStore,
    private readonly gate: StockGate,
    private readonly sync: GateSync,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly logger: Logger,
    private readonly onSettled: (settlement: Settlement) => void = () => undefined,
  ) {}

  /** Settles one reservation now. Safe to call concurrently and repeatedly. */
  async settle(reservation: PendingReservation, reason: string): Promise<Settlement> {
    const { couponId, orderId } = reservation;
    for (;;) {
      const events = await this.store.readStream(orderStreamId(orderId));
      if (events.some((e) => e.type === 'OrderPlaced')) {
        await this.gate.confirm(couponId, [orderId]);
        return this.settled('kept');
      }
      if (events.length > 0 || (await this.fence(reservation, reason)))
        return this.release(couponId, orderId);
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

  /**
   * Returns the unit of a reservation whose append was refused before anything of it was sent (`refusedUnsent`: a
   * full queue, an open circuit breaker). No OrderPlaced can ever land for it, so the unit goes back now, without the
   * fence `settle` writes (which the store could not take now anyway). When the gate cannot be reached either, the
   * reservation stays pending for the reconciler, as with `settleLater`.
   */
  async releaseUnsent({ couponId, orderId }: PendingReservation): Promise<void> {
    try {
      await this.release(couponId, orderId);
    } catch (error) {
      this.logger.warn({ err: error, orderId }, 'could not release reservation now; the reconciler will');
    }
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

  private async release(couponId: string, orderId: string): Promise<Settlement> {
    if ((await this.gate.release(couponId, orderId)) !== 'damaged') return this.settled('released');
    this.sync.recoverLater(couponId);
    return this.settled('deferred');
  }

  private settled(settlement: Settlement): Settlement {
    this.onSettled(settlement);
    return settlement;
  }
}
