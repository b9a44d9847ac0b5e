import { jsonEvent, type EventData, type JSONType, type Position } from '@eventstore/db-client';
import type { EventToAppend, RecordedEvent } from '../../commands/event-store-port';
import type { EventMetadata } from '../../domain/shared/event';
import { isKnownPosition } from './log-positions';

/** What the adapter reads from an event the client returns (a structural subset of the client's RecordedEvent). */
export interface EsdbStoredEvent {
  readonly streamId: string;
  readonly id: string;
  readonly revision: bigint;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly created: Date;
  readonly position?: Position;
}

/** EventStoreDB's own events ($metadata, $epoch-information, $statsCollected, links `$>`) start with `$`. */
export const isSystemEventType = (type: string): boolean => type.startsWith('$');

/**
 * The event as EventStoreDB stores it: our event id becomes the EventStoreDB event id, so a retried append is
 * recognised by the server as the same events; the schema version rides in the metadata beside the rest.
 */
export const toEventData = (event: EventToAppend): EventData =>
  jsonEvent({
    id: event.metadata.eventId,
    type: event.type,
    data: asJsonType(event.data, event.type),
    metadata: { ...event.metadata, schemaVersion: event.schemaVersion },
  });

/**
 * The port's view of a stored event. `position` is the commit position; an event read from a stream on a server that
 * does not report one gets 0n, which read-your-writes treats as "nothing to wait for" rather than "wait forever".
 */
export const toRecordedEvent = (stored: EsdbStoredEvent): RecordedEvent => {
  const { schemaVersion, ...metadata } = metadataRecord(stored.metadata);
  return {
    streamId: stored.streamId,
    revision: stored.revision,
    position: isKnownPosition(stored.position) ? stored.position.commit : 0n,
    type: stored.type,
    schemaVersion: typeof schemaVersion === 'number' ? schemaVersion : 1,
    data: stored.data,
    // Our own events carry a full EventMetadata; the event id falls back to EventStoreDB's, which is the same.
    metadata: {
      ...metadata,
      eventId: typeof metadata.eventId === 'string' ? metadata.eventId : stored.id,
    } as EventMetadata,
    recordedAt: stored.created,
  };
};

type StoredMetadata = Partial<EventMetadata> & { readonly schemaVersion?: unknown };

const metadataRecord = (metadata: unknown): StoredMetadata =>
  typeof metadata === 'object' && metadata !== null && !(metadata instanceof Uint8Array) ? metadata : {};

/** The client serialises JSON events itself and only accepts objects, arrays and strings as their data. */
const asJsonType = (data: unknown, type: string): JSONType => {
  if (typeof data === 'string' || Array.isArray(data)) return data;
  if (typeof data === 'object' && data !== null) return data as Record<string, unknown>;
  throw new TypeError(
    `event ${type}: data must be a JSON object, array or string to be stored in EventStoreDB`,
  );
};
