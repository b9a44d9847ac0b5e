import { START, type Position, type ReadPosition } from '@eventstore/db-client';
import type { LogPosition } from '../../commands/event-store-port';

/**
 * Where a read or catch-up subscription of `$all` starts. {0, 0} is the port's "from the beginning" and becomes
 * START: EventStoreDB resumes *after* a given position, and an event at 0 must not be skipped.
 */
export const toReadPosition = (after: LogPosition): ReadPosition =>
  after.commit === 0n && after.prepare === 0n ? START : { commit: after.commit, prepare: after.prepare };

/** Orders positions of `$all` as EventStoreDB does: by commit, then by prepare. */
export const isAfter = (position: Position, bound: Position): boolean =>
  position.commit > bound.commit || (position.commit === bound.commit && position.prepare > bound.prepare);

/**
 * An event read from a single stream may carry no usable position: servers before v22 report none, or the maximum
 * uint64, because stream reads come from the index, not the log. Such a position is not a consistency token.
 */
const UNKNOWN_POSITION = 2n ** 64n - 1n;

export const isKnownPosition = (position: Position | undefined): position is Position =>
  position !== undefined && position.commit !== UNKNOWN_POSITION && position.commit >= 0n;
