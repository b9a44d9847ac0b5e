/**
 * What an event-store adapter holds waiting now and what it refused for being full: the embedded store's group-commit
 * queue, EventStoreDB's appends in flight. Exported as the gauge `couponkill_event_store_append_queue_depth` and
 * the counter `couponkill_event_store_appends_shed_total`.
 */
export interface AppendQueueStats {
  readonly depth: number;
  /** The bound (COUPONKILL_EVENT_STORE_QUEUE_MAX); Infinity when unbounded. */
  readonly limit: number;
  /** Appends refused at once because it was full, since start (admitAppend's refusals included). */
  readonly shed: number;
}

/** An adapter whose appends wait in a bounded queue. */
export interface HasAppendQueue {
  readonly appendQueue: AppendQueueStats;
}
