import { COUPON_EVENT_VERSIONS, COUPON_UPCASTERS, type CouponEvent } from './coupon/coupon-events';
import {
  NOTIFICATION_EVENT_VERSIONS,
  NOTIFICATION_UPCASTERS,
  type NotificationEvent,
} from './notification/notification-events';
import { ORDER_EVENT_VERSIONS, ORDER_UPCASTERS, type OrderEvent } from './order/order-events';
import {
  RESERVATION_EVENT_VERSIONS,
  RESERVATION_UPCASTERS,
  type ReservationEvent,
} from './reservation/reservation-events';
import { UndecodableEventError, type StoredEventShape, type Upcaster } from './shared/upcaster';
import { USER_EVENT_VERSIONS, USER_UPCASTERS, type UserEvent } from './user/user-events';

/** Every event the domain writes. A `switch` over `type` ending in `assertNever` must name each one. */
export type AnyDomainEvent = CouponEvent | OrderEvent | UserEvent | ReservationEvent | NotificationEvent;
export type DomainEventType = AnyDomainEvent['type'];

const CURRENT_VERSION: { readonly [T in DomainEventType]: number } = {
  ...COUPON_EVENT_VERSIONS,
  ...ORDER_EVENT_VERSIONS,
  ...USER_EVENT_VERSIONS,
  ...RESERVATION_EVENT_VERSIONS,
  ...NOTIFICATION_EVENT_VERSIONS,
};

const UPCASTERS = new Map<string, Upcaster>(
  [
    ...COUPON_UPCASTERS,
    ...ORDER_UPCASTERS,
    ...USER_UPCASTERS,
    ...RESERVATION_UPCASTERS,
    ...NOTIFICATION_UPCASTERS,
  ].map((u) => [`${u.type}@${u.fromVersion}`, u]),
);

const isKnownType = (type: string): type is DomainEventType => Object.hasOwn(CURRENT_VERSION, type);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The one place stored events become domain events: by type and schema version, upcasting older versions one step
 * at a time to the version the code writes today. Throws UndecodableEventError for an unknown type, a version newer
 * than this code knows (written by a newer release), a version with no upcaster, or data that is not an object.
 */
export const decodeEvent = (stored: StoredEventShape): AnyDomainEvent => {
  const { type } = stored;
  if (!isKnownType(type)) throw new UndecodableEventError(type, stored.schemaVersion, 'unknown event type');
  const current = CURRENT_VERSION[type];
  let version = stored.schemaVersion;
  if (!Number.isInteger(version) || version < 1 || version > current)
    throw new UndecodableEventError(type, version, `this release reads versions 1 to ${current}`);
  if (!isRecord(stored.data)) throw new UndecodableEventError(type, version, 'its data is not an object');
  let data: Record<string, unknown> = stored.data;
  for (; version < current; version++) {
    const upcaster = UPCASTERS.get(`${type}@${version}`);
    if (!upcaster) throw new UndecodableEventError(type, version, `no upcaster to version ${version + 1}`);
    data = upcaster.upcast(data);
  }
  // The data was written by this domain's deciders (or upcast to their current shape): its type tells its shape.
  return { type, schemaVersion: current, data } as AnyDomainEvent;
};

const kindOf = (types: object) => (event: AnyDomainEvent) => Object.hasOwn(types, event.type);

export const isCouponEvent: (event: AnyDomainEvent) => event is CouponEvent = kindOf(
  COUPON_EVENT_VERSIONS,
) as (event: AnyDomainEvent) => event is CouponEvent;
export const isOrderEvent: (event: AnyDomainEvent) => event is OrderEvent = kindOf(ORDER_EVENT_VERSIONS) as (
  event: AnyDomainEvent,
) => event is OrderEvent;
export const isUserEvent: (event: AnyDomainEvent) => event is UserEvent = kindOf(USER_EVENT_VERSIONS) as (
  event: AnyDomainEvent,
) => event is UserEvent;
export const isReservationEvent: (event: AnyDomainEvent) => event is ReservationEvent = kindOf(
  RESERVATION_EVENT_VERSIONS,
) as (event: AnyDomainEvent) => event is ReservationEvent;
export const isNotificationEvent: (event: AnyDomainEvent) => event is NotificationEvent = kindOf(
  NOTIFICATION_EVENT_VERSIONS,
) as (event: AnyDomainEvent) => event is NotificationEvent;
