import type { RecordedEvent } from '../../commands/event-store-port';
import type { SequencedEvent } from '../../projections/event-bus-port';

type EventWire = Omit<RecordedEvent, 'revision' | 'position' | 'recordedAt'> & {
  revision: string;
  position: string;
  recordedAt: string;
};

/** Version 2: a partition's message, whose event is null for a watermark. */
interface Wire {
  v: 2;
  position: string;
  previous: string;
  event: EventWire | null;
}

/** Messages on the wire of every bus: JSON, with bigint positions and revisions as decimal strings. */
export const encodeSequenced = ({ position, previous, event }: SequencedEvent): string =>
  JSON.stringify({
    v: 2,
    position: position.toString(),
    previous: previous.toString(),
    event: event && {
      ...event,
      revision: event.revision.toString(),
      position: event.position.toString(),
      recordedAt: event.recordedAt.toISOString(),
    },
  } satisfies Wire);

/** Throws on a message that is not of this format (a bus holding something else): such a message is dead-lettered. */
export const decodeSequenced = (text: string): SequencedEvent => {
  const wire = JSON.parse(text) as Omit<Wire, 'v'> & { readonly v?: unknown };
  if (wire.v !== 2) throw new Error(`unknown bus message format ${String(wire.v)}`);
  const { event } = wire;
  return {
    position: BigInt(wire.position),
    previous: BigInt(wire.previous),
    event: event && {
      ...event,
      revision: BigInt(event.revision),
      position: BigInt(event.position),
      recordedAt: new Date(event.recordedAt),
    },
  };
};
