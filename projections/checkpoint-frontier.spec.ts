import type { RecordedEvent } from '../commands/event-store-port';
import { advanceFrontier, spansOf } from './checkpoint-frontier';

const linked = (previous: number, position: number) => ({
  position: BigInt(position),
  previous: BigInt(previous),
  event: { position: BigInt(position) } as RecordedEvent,
});

/** A partition's watermark: nothing of it in (previous, position]. */
const watermark = (previous: number, position: number) => ({
  position: BigInt(position),
  previous: BigInt(previous),
  event: null,
});

describe('checkpoint frontier', () => {
  it('joins an in-order batch into one span and moves the checkpoint to its end', () => {
    const spans = spansOf([linked(0, 7), linked(7, 9), linked(9, 30)]);
    expect(spans).toEqual([{ after: 0n, upTo: 30n }]);
    expect(advanceFrontier(0n, [], spans)).toEqual({ frontier: 30n, pending: [] });
  });

  it('keeps runs beyond a gap pending and moves over them once the gap is filled', () => {
    const early = advanceFrontier(5n, [], spansOf([linked(9, 12), linked(20, 25), linked(12, 20)]));
    expect(early).toEqual({ frontier: 5n, pending: [{ after: 9n, upTo: 25n }] });
    const filled = advanceFrontier(early.frontier, early.pending, spansOf([linked(5, 9)]));
    expect(filled).toEqual({ frontier: 25n, pending: [] });
  });

  it('ignores redelivered events at or below the checkpoint', () => {
    expect(advanceFrontier(50n, [], spansOf([linked(10, 20), linked(20, 50)]))).toEqual({
      frontier: 50n,
      pending: [],
    });
  });

  it('accepts a run that overlaps the checkpoint', () => {
    expect(advanceFrontier(15n, [], spansOf([linked(10, 20), linked(20, 40)]))).toEqual({
      frontier: 40n,
      pending: [],
    });
  });

  it('moves an idle partition over a watermark, and joins events that follow it', () => {
    const idle = advanceFrontier(7n, [], spansOf([watermark(7, 40)]));
    expect(idle).toEqual({ frontier: 40n, pending: [] });
    const late = advanceFrontier(idle.frontier, idle.pending, spansOf([linked(40, 44), watermark(44, 60)]));
    expect(late).toEqual({ frontier: 60n, pending: [] });
  });

  it('keeps a watermark beyond a gap pending like an event', () => {
    expect(advanceFrontier(7n, [], spansOf([watermark(12, 40)]))).toEqual({
      frontier: 7n,
      pending: [{ after: 12n, upTo: 40n }],
    });
  });

  it('reaches the same checkpoint whatever order the links arrive in', () => {
    const chain = Array.from({ length: 40 }, (_, i) => linked(i * 3, (i + 1) * 3));
    const shuffled = [...chain].sort(
      (a, b) => Number((a.position * 7919n) % 97n) - Number((b.position * 7919n) % 97n),
    );
    let state = { frontier: 0n, pending: [] as readonly { after: bigint; upTo: bigint }[] };
    for (let i = 0; i < shuffled.length; i += 5) {
      state = advanceFrontier(state.frontier, state.pending, spansOf(shuffled.slice(i, i + 5)));
      expect(state.frontier).toBeLessThanOrEqual(120n);
    }
    expect(state).toEqual({ frontier: 120n, pending: [] });
  });
});
