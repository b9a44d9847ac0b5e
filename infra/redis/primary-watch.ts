import type { Redis } from 'ioredis';

/** The replication id a Redis reports (`INFO replication`, master_replid). */
const replicationIdOf = async (client: Redis): Promise<string> => {
  const info = await client.info('replication');
  const id = /^master_replid:(\S+)/m.exec(info)?.[1];
  if (!id) throw new Error('INFO replication has no master_replid');
  return id;
};

/**
 * Notices that the Redis behind a connection is no longer the primary it was: a replica promoted by Sentinel, or a
 * server restarted empty. Both start a new replication history, so after every reconnection the server's
 * `master_replid` is compared with the one seen before (https://redis.io/docs/latest/operate/oss_and_stack/management/replication/,
 * "Replication ID explained"). A promoted replica may lack the writes its primary acknowledged last (replication is
 * asynchronous), so from the moment the connection drops the gate must not sell (`trusted` false) until either the
 * same primary is back or `onNewPrimary` has rebuilt the gate on the new one.
 */
export class PrimaryWatch {
  private known: string | null = null;
  private trustedNow = true;
  private onNewPrimary: ((replicationId: string) => Promise<void>) | null = null;
  private checking: Promise<void> | null = null;

  private readonly onClose = () => {
    this.trustedNow = false;
  };
  private readonly onReady = () => {
    this.check();
  };

  constructor(
    private readonly client: Redis,
    private readonly log: (message: string, fields: Record<string, unknown>) => void,
  ) {
    client.on('close', this.onClose);
    client.on('ready', this.onReady);
    if (client.status === 'ready') this.check();
  }

  /** Stops watching (the gate left this Redis; the client may live on for the bus). */
  detach(): void {
    this.client.off('close', this.onClose);
    this.client.off('ready', this.onReady);
  }

  /**
   * Whether the gate may sell now: connected to the primary it knows, or rebuilt on the new one. While disconnected
   * this says yes: a call then fails on its own (503 DEPENDENCY_UNAVAILABLE, counted by Redis's circuit breaker); what
   * it guards is the moment after a reconnection, before the primary is known to be the same.
   */
  get trusted(): boolean {
    return this.trustedNow || this.client.status !== 'ready';
  }

  /** What to do on a new primary (rebuild the gate from the event store); until set, a new primary is not trusted. */
  whenNewPrimary(handler: (replicationId: string) => Promise<void>): void {
    this.onNewPrimary = handler;
    // A new primary seen before there was a handler is acted on now.
    if (!this.trustedNow && this.client.status === 'ready') this.check();
  }

  private check(): void {
    this.checking ??= (async () => {
      try {
        for (;;) {
          const id = await replicationIdOf(this.client);
          if (this.known === null || this.known === id) {
            this.known = id;
            this.trustedNow = true;
            return;
          }
          if (!this.onNewPrimary) return;
          this.log(
            'the Redis primary changed (failover or restart): rebuilding the stock gate from the event store',
            {
              previous: this.known,
              current: id,
            },
          );
          await this.onNewPrimary(id);
          this.known = id;
        }
      } catch (error) {
        // Disconnected again, or the rebuild failed: the next 'ready' (or the next check) tries again.
        this.log('checking the Redis primary failed; sales stay stopped until it succeeds', {
          reason: error instanceof Error ? error.message : String(error),
        });
        setTimeout(() => {
          if (this.client.status === 'ready') this.check();
        }, 1000).unref();
      } finally {
        this.checking = null;
      }
    })();
  }
}
