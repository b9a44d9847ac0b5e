import type { EventStore, RecordedEvent } from '../../commands/event-store-port';

/** The event store's whole log, in order, read in pages of 5,000 (a test's truth to check read models against). */
export const readWholeLog = async (store: EventStore): Promise<RecordedEvent[]> => {
  const all: RecordedEvent[] = [];
  for (let after = 0n; ;) {
    const page = await store.readAll(after, 5000);
    all.push(...page);
    if (page.length < 5000) return all;
    after = page.at(-1)!.position;
  }
};
