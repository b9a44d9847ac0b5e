import type { SequencedEvent } from './event-bus-port';

/** Every published event with a position in (`after`, `upTo`] has been applied. */
export interface Span {
  readonly after: bigint;
  readonly upTo: bigint;
}

/** Positions only grow along the published sequence, so applied runs are intervals and merge as intervals do. */
const union = (spans: readonly Span[]): Span[] => {
  const sorted = [...spans].sort((a, b) => (a.after < b.after ? -1 : a.after > b.after ? 1 : 0));
  const merged: Span[] = [];
  for (const span of sorted) {
    const last = merged[merged.length - 1];
    if (last && span.after <= last.upTo) {
      if (span.upTo > last.upTo) merged[merged.length - 1] = { after: last.after, upTo: span.upTo };
    } else merged.push(span);
  }
  return merged;
};

export const spansOf = (messages: readonly SequencedEvent[]): Span[] =>
  union(messages.map(({ position, previous }) => ({ after: previous, upTo: position })));

export interface FrontierAdvance {
  /** Everything up to here is applied: the checkpoint. */
  readonly frontier: bigint;
  /** Runs applied beyond a gap, kept until the gap is filled. */
  readonly pending: readonly Span[];
}

/**
 * Moves the checkpoint over every run that joins it. A bus that delivers streams out of global order leaves runs
 * beyond the checkpoint; they wait as pending spans, so the checkpoint never claims an event it has not seen.
 */
export const advanceFrontier = (
  frontier: bigint,
  pending: readonly Span[],
  applied: readonly Span[],
): FrontierAdvance => {
  let reached = frontier;
  const beyond: Span[] = [];
  for (const span of union([...pending, ...applied])) {
    if (span.upTo <= reached) continue;
    if (span.after <= reached) reached = span.upTo;
    else beyond.push(span);
  }
  return { frontier: reached, pending: beyond };
};
