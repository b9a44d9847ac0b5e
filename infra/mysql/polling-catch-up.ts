import { setTimeout as sleep } from 'node:timers/promises';
import type { CatchUpBatch, LogPosition, RecordedEvent } from '../../commands/event-store-port';

/**
 * A catch-up subscription over a store that can only be read by position: reads pages after the last one and, once
 * caught up, polls every `idleMs`. The MySQL log is gap-free by construction, so paging by position never skips.
 */
export async function* pollingCatchUp(
  readAll: (afterPosition: bigint, maxCount: number) => Promise<RecordedEvent[]>,
  after: LogPosition,
  maxBatch: number,
  idleMs: number,
  signal: AbortSignal,
): AsyncGenerator<CatchUpBatch> {
  let position = after.commit;
  while (!signal.aborted) {
    const events = await readAll(position, maxBatch);
    const last = events[events.length - 1];
    if (!last) {
      await sleep(idleMs, undefined, { signal }).catch(() => undefined);
      continue;
    }
    position = last.position;
    yield { events, resumeFrom: { commit: position, prepare: position } };
  }
}
