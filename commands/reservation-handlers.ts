import { couponDecider } from '../domain/coupon/coupon-decider';
import { couponStreamId } from '../domain/coupon/coupon-events';
import {
  reservationDecider,
  type CouponFacts,
  type ReservationState,
  type ReservationStatus,
} from '../domain/reservation/reservation-decider';
import { reservationStreamId } from '../domain/reservation/reservation-events';
import { DomainError } from '../domain/shared/domain-error';
import { fold } from '../domain/shared/event';
import { AggregateHandler, DEFAULT_CONFLICT_RETRY, type ConflictRetry } from './aggregate-handler';
import type { Clock } from './clock-port';
import { withMetadata, type CommandContext } from './command-context';
import { ConcurrencyConflictError } from './concurrency-conflict-error';
import { WrongExpectedRevisionError, type EventStore } from './event-store-port';
import type { IdGenerator } from './id-generator-port';
import type { Logger } from './logger-port';
import type { StockGate } from './stock-gate-port';
import { couponEventsOf, reservationEventsOf } from './stored-events';

export interface ReservationOptions {
  /** How long after the window opens live buyers wait while reserved buyers fire (COUPONKILL_RESERVATION_PRIORITY_MS). */
  readonly priorityMs: number;
  /** The most reservations one buyer may have made of one coupon, cancelled ones included (each is a stream read). */
  readonly maxPerBuyerAndCoupon: number;
}

export interface ReservationCommandResult {
  readonly reservationId: string;
  readonly couponId: string;
  readonly userId: string;
  readonly status: ReservationStatus;
  readonly reservedAt: string;
  /** The global position of the reservation's latest event: pass it as `minPosition` to read your write. */
  readonly position: string;
}

export interface PlaceReservationRequest {
  readonly couponId: string;
  readonly userId: string;
  /** When the buyer's account was registered (epoch ms), from the signed token; null when it does not say. */
  readonly registeredAtMs: number | null;
}

/** What the reservation rules need of a coupon, read from its stream (null: no such coupon). */
export const couponFactsOf = async (store: EventStore, couponId: string): Promise<CouponFacts | null> => {
  const state = fold(couponDecider, couponEventsOf(await store.readStream(couponStreamId(couponId))));
  if (state.status === 'absent') return null;
  const status = state.status === 'active' && state.deactivated ? 'inactive' : state.status;
  return { couponType: state.couponType, status, saleStartsAt: state.saleStartsAt };
};

/**
 * Placing and cancelling reservations. A buyer's reservations of a coupon are the streams of `IdGenerator.reservationId(
 * coupon, buyer, 0, 1, …)`: placing one looks for the first that is not ended and appends there with optimistic concurrency,
 * so a buyer never holds two live reservations of a coupon however many requests race (one live reservation per
 * buyer and coupon), without any lock or index outside the event store.
 */
export class ReservationHandlers {
  private readonly aggregate: AggregateHandler<
    Parameters<typeof reservationDecider.decide>[0],
    Parameters<typeof reservationDecider.evolve>[1],
    ReservationState
  >;

  constructor(
    private readonly store: EventStore,
    private readonly gate: StockGate,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly logger: Logger,
    private readonly options: ReservationOptions,
    private readonly retry: ConflictRetry = DEFAULT_CONFLICT_RETRY,
  ) {
    this.aggregate = new AggregateHandler(
      store,
      { decider: reservationDecider, decode: reservationEventsOf },
      clock,
      ids,
      retry,
    );
  }

  async place(request: PlaceReservationRequest, context: CommandContext): Promise<ReservationCommandResult> {
    const { couponId, userId } = request;
    const coupon = await couponFactsOf(this.store, couponId);
    const accountRegisteredAt =
      request.registeredAtMs === null ? null : new Date(request.registeredAtMs).toISOString();
    let conflicts = 0;
    for (let n = 0; n < this.options.maxPerBuyerAndCoupon;) {
      const reservationId = this.ids.reservationId(couponId, userId, n);
      const { state, revision } = await this.aggregate.load(reservationStreamId(reservationId));
      if (state.status !== 'absent' && !(state.status === 'PENDING' || state.status === 'FIRING')) {
        n += 1;
        continue;
      }
      const now = this.clock.now();
      const events = reservationDecider.decide(
        {
          type: 'PlaceReservation',
          data: { reservationId, couponId, userId, coupon, accountRegisteredAt, now },
        },
        state,
      );
      try {
        const { position } = await this.store.append(
          reservationStreamId(reservationId),
          withMetadata(events, context, now, () => this.ids.newId()),
          revision ?? 'no_stream',
          // Decided before the window opened, stored before it opens or not at all: the firer, reading the log once
          // the window is open, finds every reservation there is.
          coupon ? { deadlineMs: Date.parse(coupon.saleStartsAt) } : {},
        );
        void this.gate
          .setReservationPriority(couponId, this.options.priorityMs)
          .catch((error: unknown) =>
            this.logger.warn(
              { err: error, couponId },
              'could not set the reservation priority; the firer will',
            ),
          );
        return {
          reservationId,
          couponId,
          userId,
          status: 'PENDING',
          reservedAt: now.toISOString(),
          position: position.toString(),
        };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        conflicts += 1;
        if (conflicts >= this.retry.attempts)
          throw new ConcurrencyConflictError(reservationStreamId(reservationId), conflicts);
      }
    }
    throw new DomainError(
      'RESERVATION_EXISTS',
      `you have made ${String(this.options.maxPerBuyerAndCoupon)} reservations of coupon ${couponId} already`,
      { reservationId: this.ids.reservationId(couponId, userId, this.options.maxPerBuyerAndCoupon - 1) },
    );
  }

  /** Cancels a pending reservation of the acting buyer (RESERVATION_NOT_PENDING once it fires). */
  async cancel(reservationId: string, context: CommandContext): Promise<ReservationCommandResult> {
    const { state, append } = await this.aggregate.handle(
      reservationStreamId(reservationId),
      {
        type: 'CancelReservation',
        data: { reservationId, byUserId: context.actorId, now: this.clock.now() },
      },
      context,
    );
    if (state.status === 'absent') throw new Error(`reservation ${reservationId} vanished`);
    return {
      reservationId,
      couponId: state.couponId,
      userId: state.userId,
      status: state.status,
      reservedAt: state.reservedAt,
      position: append.position.toString(),
    };
  }
}
