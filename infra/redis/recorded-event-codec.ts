import type { RecordedEvent } from '../../commands/event-store-port';

/** Events on the wire: JSON, with bigint positions and revisions as decimal strings. */
export const encodeEvent = (event: RecordedEvent): string =>
  JSON.stringify({
    ...event,
    revision: event.revision.toString(),
    position: event.position.toString(),
    recordedAt: event.recordedAt.toISOString(),
  });

export const decodeEvent = (text: string): RecordedEvent => {
  const raw = JSON.parse(text) as Omit<RecordedEvent, 'revision' | 'position' | 'recordedAt'> & {
    revision: string;
    position: string;
    recordedAt: string;
  };
  return {
    ...raw,
    revision: BigInt(raw.revision),
    position: BigInt(raw.position),
    recordedAt: new Date(raw.recordedAt),
  };
};
