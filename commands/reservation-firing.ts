import { couponDecider, type CouponState } from '../domain/coupon/coupon-decider';
import { couponStreamId } from '../domain/coupon/coupon-events';
import { orderStreamId } from '../domain/order/order-events';
import {
  reservationDecider,
  TERMINAL_RESERVATION_STATUSES,
  type ExistingReservation,
  type ReservationCommand,
  type ReservationState,
} from '../domain/reservation/reservation-decider';
import { reservationStreamId } from '../domain/reservation/reservation-events';
import { fold } from '../domain/shared/event';
import type { Clock } from './clock-port';
import { systemContext, withMetadata, type CommandContext } from './command-context';
import { WrongExpectedRevisionError, type EventStore } from './event-store-port';
import type { IdGenerator } from './id-generator-port';
import type { Logger } from './logger-port';
import { reservationIdempotencyKey } from './reservation-ids';
import type { ReservationSettlement } from './reservation-settlement';
import type { ReservedPurchaseOutcome, SeckillHandler } from './seckill-handler';
import { couponEventsOf, reservationEventsOf } from './stored-events';

/** A reservation as the firer's queue lists it: its place in line is the log position of its ReservationPlaced. */
export interface QueuedReservation {
  readonly reservationId: string;
  readonly couponId: string;
  readonly userId: string;
  readonly placedPosition: bigint;
}

/** What became of a batch: reservations that ended (now or before), those to look at again later. */
export interface FiringResult {
  readonly ended: readonly string[];
  readonly later: readonly string[];
  /** Counts by outcome, for metrics and logs. */
  readonly counts: Readonly<Record<FiringOutcome, number>>;
}

export type FiringOutcome = 'succeeded' | 'failed' | 'expired' | 'already_ended' | 'later';

interface Loaded {
  readonly queued: QueuedReservation;
  state: ExistingReservation;
  revision: bigint;
}

interface Purchase {
  readonly loaded: Loaded;
  readonly orderId: string;
}

/** Whether a pending reservation is due: fire it, expire it (with the reason), or wait for its window. */
export type Due =
  | { readonly kind: 'fire' }
  | { readonly kind: 'not_yet' }
  | { readonly kind: 'expire'; readonly reason: string };

export const dueOf = (coupon: CouponState, nowMs: number): Due => {
  if (coupon.status === 'absent' || coupon.status === 'closed')
    return { kind: 'expire', reason: 'COUPON_CLOSED' };
  if (nowMs >= Date.parse(coupon.saleEndsAt)) return { kind: 'expire', reason: 'SALE_ENDED' };
  if (nowMs < Date.parse(coupon.saleStartsAt)) return { kind: 'not_yet' };
  // A coupon deactivated when its window opened sells nothing: its reservations end, as the README says.
  if (coupon.deactivated) return { kind: 'expire', reason: 'COUPON_INACTIVE' };
  return { kind: 'fire' };
};

/**
 * Fires reservations of one coupon (the reservation firer's work, one batch at a time, in line order):
 *
 * 1. each reservation's stream is read: ended ones are passed over; a pending one is expired when its coupon was
 *    closed or deactivated or its window ended, else appended `ReservationFiring` with a fresh order id (optimistic
 *    concurrency: of two firers only one moves it to FIRING; the other leaves it);
 * 2. a FIRING one left by a crash (or another firer) is resumed: its order stored → SUCCEEDED; its order fenced as
 *    abandoned → fired again with a new order id (the old one can never be placed); else bought with the same
 *    order id and idempotency key;
 * 3. the batch is bought through the seckill handler in one ordered gate call (`buyInOrder`): same rules as a live
 *    buyer, inside the reservation priority;
 * 4. SUCCEEDED (with the order) or FAILED (with the refusal) is appended. An earlier attempt the gate still holds
 *    without a stored order is settled at once (fenced and released, or found stored), and the reservation is fired
 *    again on the next pass; anything that failed for want of a dependency is left for the next pass.
 *
 * A reservation can therefore never buy twice: every order id it ever uses is fixed in a FIRING event first, and a
 * new one is only fixed once the previous one is fenced.
 */
export class ReservationFiring {
  constructor(
    private readonly store: EventStore,
    private readonly seckill: SeckillHandler,
    private readonly settlement: ReservationSettlement,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly logger: Logger,
  ) {}

  async fire(couponId: string, batch: readonly QueuedReservation[]): Promise<FiringResult> {
    const counts: Record<FiringOutcome, number> = {
      succeeded: 0,
      failed: 0,
      expired: 0,
      already_ended: 0,
      later: 0,
    };
    const ended: string[] = [];
    const later: string[] = [];
    const done = (loaded: Loaded | QueuedReservation, outcome: FiringOutcome): void => {
      const id = 'queued' in loaded ? loaded.queued.reservationId : loaded.reservationId;
      counts[outcome] += 1;
      (outcome === 'later' ? later : ended).push(id);
    };

    const coupon = fold(couponDecider, couponEventsOf(await this.store.readStream(couponStreamId(couponId))));
    const loaded = await Promise.all(batch.map((queued) => this.load(queued)));
    const purchases: (Purchase | null)[] = await Promise.all(
      loaded.map(async (entry, i): Promise<Purchase | null> => {
        const queued = batch[i] as QueuedReservation;
        if (!entry) {
          done(queued, 'later');
          return null;
        }
        try {
          return await this.prepare(entry, coupon, done);
        } catch (error) {
          this.logger.warn(
            { err: error, reservationId: queued.reservationId },
            'could not prepare a reservation',
          );
          done(entry, 'later');
          return null;
        }
      }),
    );
    const toBuy = purchases.filter((p): p is Purchase => p !== null);
    if (toBuy.length > 0) {
      let outcomes: ReservedPurchaseOutcome[];
      try {
        outcomes = await this.seckill.buyInOrder(
          couponId,
          toBuy.map(({ loaded: { queued, state }, orderId }) => ({
            userId: queued.userId,
            orderId,
            idempotencyKey: reservationIdempotencyKey(queued.reservationId),
            registeredAtMs: state.accountRegisteredAt === null ? null : Date.parse(state.accountRegisteredAt),
          })),
          systemContext(`reservations-${couponId}`),
        );
      } catch (error) {
        this.logger.warn({ err: error, couponId, reservations: toBuy.length }, 'reservations not bought now');
        for (const purchase of toBuy) done(purchase.loaded, 'later');
        return { ended, later, counts };
      }
      await Promise.all(
        toBuy.map((purchase, i) =>
          this.conclude(purchase, outcomes[i] ?? { kind: 'failed', error: null }, couponId, done).catch(
            (error: unknown) => {
              this.logger.warn(
                { err: error, reservationId: purchase.loaded.queued.reservationId },
                'could not conclude a reservation',
              );
              done(purchase.loaded, 'later');
            },
          ),
        ),
      );
    }
    return { ended, later, counts };
  }

  private async load(queued: QueuedReservation): Promise<Loaded | null> {
    const events = await this.store.readStream(reservationStreamId(queued.reservationId));
    const state = fold(reservationDecider, reservationEventsOf(events));
    const last = events.at(-1);
    if (state.status === 'absent' || !last) return null;
    return { queued, state, revision: last.revision };
  }

  /** Moves a reservation to where it can be bought: the purchase to make, or null (ended, or not now). */
  private async prepare(
    entry: Loaded,
    coupon: CouponState,
    done: (loaded: Loaded, outcome: FiringOutcome) => void,
  ): Promise<Purchase | null> {
    const { state } = entry;
    if (TERMINAL_RESERVATION_STATUSES.has(state.status)) {
      done(entry, 'already_ended');
      return null;
    }
    const now = this.clock.now();
    if (state.status === 'PENDING') {
      const due = dueOf(coupon, now.getTime());
      if (due.kind === 'not_yet') {
        done(entry, 'later');
        return null;
      }
      if (due.kind === 'expire') {
        const appended = await this.append(entry, {
          type: 'ExpireReservation',
          data: { reservationId: state.reservationId, reason: due.reason, now },
        });
        done(entry, appended ? 'expired' : 'later');
        return null;
      }
      const orderId = this.ids.orderId(state.userId);
      if (
        !(await this.append(entry, {
          type: 'FireReservation',
          data: { reservationId: state.reservationId, orderId, abandonedOrderId: null, now },
        }))
      ) {
        done(entry, 'later');
        return null;
      }
      return { loaded: entry, orderId };
    }
    // FIRING: left by a crash, or by another firer. Its order decides.
    const orderId = state.orderId ?? '';
    const order = await this.store.readStream(orderStreamId(orderId));
    const placed = order.find((e) => e.type === 'OrderPlaced');
    if (placed) {
      const appended = await this.append(entry, {
        type: 'SucceedReservation',
        data: { reservationId: state.reservationId, orderId, now },
      });
      done(entry, appended ? 'succeeded' : 'later');
      return null;
    }
    if (order.length > 0) {
      // Fenced as abandoned: that order can never be placed, so a new one is fixed and bought.
      const next = this.ids.orderId(state.userId);
      if (
        !(await this.append(entry, {
          type: 'FireReservation',
          data: { reservationId: state.reservationId, orderId: next, abandonedOrderId: orderId, now },
        }))
      ) {
        done(entry, 'later');
        return null;
      }
      return { loaded: entry, orderId: next };
    }
    return { loaded: entry, orderId };
  }

  private async conclude(
    { loaded, orderId }: Purchase,
    outcome: ReservedPurchaseOutcome,
    couponId: string,
    done: (loaded: Loaded, outcome: FiringOutcome) => void,
  ): Promise<void> {
    const { reservationId, userId } = loaded.state;
    const now = this.clock.now();
    switch (outcome.kind) {
      case 'placed': {
        const appended = await this.append(loaded, {
          type: 'SucceedReservation',
          data: { reservationId, orderId: outcome.orderId, now },
        });
        done(loaded, appended ? 'succeeded' : 'later');
        return;
      }
      case 'refused': {
        const appended = await this.append(loaded, {
          type: 'FailReservation',
          data: { reservationId, code: outcome.code, message: outcome.message, now },
        });
        done(loaded, appended ? 'failed' : 'later');
        return;
      }
      case 'in_progress': {
        // An earlier attempt (a crashed firer's, or another's) holds a unit without a stored order: settle it now
        // rather than after the reconciler's grace. Fenced and released, the next pass fires with a new order id.
        const settled = await this.settlement.settle(
          { couponId, orderId: outcome.orderId, userId, reservedAtMs: now.getTime() },
          'reservation fired again',
        );
        if (settled === 'kept') {
          const appended = await this.append(loaded, {
            type: 'SucceedReservation',
            data: { reservationId, orderId: outcome.orderId, now },
          });
          done(loaded, appended ? 'succeeded' : 'later');
          return;
        }
        done(loaded, 'later');
        return;
      }
      case 'failed':
        this.logger.warn(
          { err: outcome.error, reservationId, orderId },
          'reservation purchase failed; retrying later',
        );
        done(loaded, 'later');
        return;
    }
  }

  /** Decides and appends under the revision last seen; false when another writer moved the stream first. */
  private async append(entry: Loaded, command: ReservationCommand): Promise<boolean> {
    const events = reservationDecider.decide(command, entry.state);
    const context: CommandContext = systemContext(entry.state.reservationId);
    try {
      const result = await this.store.append(
        reservationStreamId(entry.state.reservationId),
        withMetadata(events, context, this.clock.now(), () => this.ids.newId()),
        entry.revision,
      );
      entry.revision = result.nextExpectedRevision;
      let state: ReservationState = entry.state;
      for (const event of events) state = reservationDecider.evolve(state, event);
      if (state.status !== 'absent') entry.state = state;
      return true;
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return false;
      throw error;
    }
  }
}
