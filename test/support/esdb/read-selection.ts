import { ReadReq } from '@eventstore/db-client/generated/streams_pb';
import type { StoredRecord } from './in-memory-log';

/** Which records a Read request asks for, following the server's rules for starts, directions and counts. */

const FORWARDS = ReadReq.Options.ReadDirection.FORWARDS;

const limitOf = (options: ReadReq.Options): number =>
  options.hasCount() ? Number(options.getCount()) : Number.MAX_SAFE_INTEGER;

/** A stream read includes its starting revision in both directions. */
export const selectFromStream = (
  stream: readonly StoredRecord[],
  streamOptions: ReadReq.Options.StreamOptions,
  options: ReadReq.Options,
): readonly StoredRecord[] => {
  const forwards = options.getReadDirection() === FORWARDS;
  let selected: StoredRecord[];
  if (streamOptions.hasStart()) selected = forwards ? [...stream] : stream.slice(0, 1);
  else if (streamOptions.hasEnd()) selected = forwards ? [] : [...stream].reverse();
  else {
    const revision = BigInt(streamOptions.getRevision());
    selected = forwards
      ? stream.filter((r) => r.revision >= revision)
      : stream.filter((r) => r.revision <= revision).reverse();
  }
  return selected.slice(0, limitOf(options));
};

/** A read of $all forwards includes the record at its position; backwards it returns what lies before it. */
export const selectFromAll = (
  log: readonly StoredRecord[],
  allOptions: ReadReq.Options.AllOptions,
  options: ReadReq.Options,
): readonly StoredRecord[] => {
  const forwards = options.getReadDirection() === FORWARDS;
  let selected: StoredRecord[];
  if (allOptions.hasStart()) selected = forwards ? [...log] : [];
  else if (allOptions.hasEnd()) selected = forwards ? [] : [...log].reverse();
  else {
    const position = BigInt(allOptions.getPosition()?.getCommitPosition() ?? '0');
    selected = forwards
      ? log.filter((r) => r.position >= position)
      : log.filter((r) => r.position < position).reverse();
  }
  return selected.slice(0, limitOf(options));
};

/** Where a subscription to $all starts: records after this position (exclusive), or everything (-1n). */
export const subscriptionStart = (
  log: readonly StoredRecord[],
  allOptions: ReadReq.Options.AllOptions,
): bigint => {
  if (allOptions.hasStart()) return -1n;
  if (allOptions.hasEnd()) return log.at(-1)?.position ?? -1n;
  return BigInt(allOptions.getPosition()?.getCommitPosition() ?? '-1');
};

export interface SubscriptionFilter {
  readonly accepts: (record: StoredRecord) => boolean;
  /** Send a checkpoint after this many records were examined (the window times the client's multiplier). */
  readonly checkpointEvery: number;
}

/** The server's default search window when the client asks for a count-based one. */
const DEFAULT_WINDOW = 32;

export const subscriptionFilterOf = (options: ReadReq.Options): SubscriptionFilter | null => {
  const filter = options.getFilter();
  if (!options.hasFilter() || !filter) return null;
  const onEventType = filter.hasEventType();
  const expression = onEventType ? filter.getEventType() : filter.getStreamIdentifier();
  const regex = expression?.getRegex() ? new RegExp(expression.getRegex()) : null;
  const prefixes = expression?.getPrefixList() ?? [];
  const window = filter.hasMax() ? filter.getMax() : DEFAULT_WINDOW;
  return {
    accepts: (record) => {
      const subject = onEventType ? record.type : record.streamName;
      if (regex) return regex.test(subject);
      return prefixes.length === 0 || prefixes.some((prefix) => subject.startsWith(prefix));
    },
    checkpointEvery: Math.max(1, window * Math.max(1, filter.getCheckpointintervalmultiplier())),
  };
};
