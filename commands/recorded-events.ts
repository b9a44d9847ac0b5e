import type { DomainEvent } from '../domain/shared/event';
import type { RecordedEvent } from './event-store-port';

/** The domain view of stored events. Every stored event was written from a decider of the same stream kind. */
export const asDomainEvents = <Event extends DomainEvent>(recorded: readonly RecordedEvent[]): Event[] =>
  recorded.map((e) => ({ type: e.type, schemaVersion: e.schemaVersion, data: e.data }) as Event);
