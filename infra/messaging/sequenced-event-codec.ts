import type { RecordedEvent } from '../../commands/event-store-port';
import type { SequencedEvent } from '../../projections/event-bus-port';

type Wire = Omit<RecordedEvent, 'revision' | 'position' | 'recordedAt'> & {
  revision: string;
  position: string;
  recordedAt: string;
  previous: string;
};

/** Events on the wire of every bus: JSON, with bigint positions and revisions as decimal strings. */
export const encodeSequenced = ({ event, previous }: SequencedEvent): string =>
  JSON.stringify({
    ...event,
    revision: event.revision.toString(),
    position: event.position.toString(),
    recordedAt: event.recordedAt.toISOString(),
    previous: previous.toString(),
  } satisfies Wire);

export const decodeSequenced = (text: string): SequencedEvent => {
  const { previous, revision, position, recordedAt, ...rest } = JSON.parse(text) as Wire;
  return {
    event: {
      ...rest,
      revision: BigInt(revision),
      position: BigInt(position),
      recordedAt: new Date(recordedAt),
    },
    previous: BigInt(previous),
  };
};
