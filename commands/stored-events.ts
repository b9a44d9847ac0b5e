import type { CouponEvent } from '../domain/coupon/coupon-events';
import {
  decodeEvent,
  isCouponEvent,
  isOrderEvent,
  isReservationEvent,
  isUserEvent,
  type AnyDomainEvent,
} from '../domain/domain-events';
import type { OrderEvent } from '../domain/order/order-events';
import type { ReservationEvent } from '../domain/reservation/reservation-events';
import { UndecodableEventError } from '../domain/shared/upcaster';
import type { UserEvent } from '../domain/user/user-events';
import type { RecordedEvent } from './event-store-port';

/** A stored event and the domain event it decodes to (upcast to today's schema). */
export interface DecodedEvent {
  readonly recorded: RecordedEvent;
  readonly event: AnyDomainEvent;
}

/** Decodes one stored event; throws UndecodableEventError (see domain/domain-events.ts). */
export const decodeRecorded = (recorded: RecordedEvent): DecodedEvent => ({
  recorded,
  event: decodeEvent(recorded),
});

const streamEvents =
  <Event extends AnyDomainEvent>(kind: string, guard: (event: AnyDomainEvent) => event is Event) =>
  (recorded: readonly RecordedEvent[]): Event[] =>
    recorded.map((r) => {
      const event = decodeEvent(r);
      if (!guard(event))
        throw new UndecodableEventError(
          r.type,
          r.schemaVersion,
          `found in ${r.streamId}, not a ${kind} event`,
        );
      return event;
    });

/** The events of one coupon, order or user stream, decoded; an event of another kind there is an error. */
export const couponEventsOf = streamEvents<CouponEvent>('coupon', isCouponEvent);
export const orderEventsOf = streamEvents<OrderEvent>('order', isOrderEvent);
export const userEventsOf = streamEvents<UserEvent>('user', isUserEvent);
export const reservationEventsOf = streamEvents<ReservationEvent>('reservation', isReservationEvent);
