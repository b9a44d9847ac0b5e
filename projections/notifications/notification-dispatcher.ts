import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../commands/logger-port';
import type { LiveGenerations } from '../live-generations';
import type { ProjectionWriter } from '../projection-writer';
import {
  UndeliverableError,
  type NotificationChannel,
  type NotificationDeliveries,
} from './notification-channel-port';
import { afterPosition } from './notification-feed';
import { cursorOf, type NotificationLog, type NotificationView } from './notifications-queries';

export interface DispatcherOptions {
  /** This process's name for the channel's lease: unique per process. */
  readonly owner: string;
  /** How long the lease lives without renewal; it is renewed every third of it while delivering. */
  readonly leaseMs: number;
  /** How often it looks for new notifications when it has delivered everything. */
  readonly pollMs: number;
  /** Deliveries in flight at once. */
  readonly concurrency: number;
  /** Notifications read at once. */
  readonly pageSize: number;
}

export interface DispatchOutcome {
  readonly notification: NotificationView;
  readonly outcome: 'delivered' | 'dead_letter';
}

/**
 * Delivers every notification to an external channel, at least once, in pages in the order of the notifications
 * (position, id). One dispatcher at a time per channel, whatever the number of processes running one: it holds the
 * channel's lease (NotificationDeliveries) and moves the channel's cursor only while it does. A page's notifications
 * are delivered side by side (up to `concurrency`); one the channel gives up on is recorded as a dead letter, and the
 * cursor moves past the page once each is delivered or recorded. A crash before that delivers the page again.
 *
 * Only notifications at or below the read model's frontier (the lowest checkpoint of all its partitions) are read:
 * none can appear later behind the cursor. The first start begins at the frontier (history is not sent).
 */
export class NotificationDispatcher {
  private running: Promise<void> | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly channel: NotificationChannel,
    private readonly deliveries: NotificationDeliveries,
    private readonly live: Pick<LiveGenerations, 'of'>,
    private readonly writer: Pick<ProjectionWriter, 'checkpoints'>,
    private readonly log: Pick<NotificationLog, 'ofAll'>,
    private readonly logger: Logger,
    private readonly options: DispatcherOptions,
    private readonly onOutcome: (outcome: DispatchOutcome) => void = () => undefined,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
    await this.deliveries.release(this.channel.name, this.options.owner).catch(() => undefined);
  }

  private async loop(): Promise<void> {
    const { signal } = this.stopping;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const busy = await this.round();
        failures = 0;
        if (!busy) await sleep(this.options.pollMs, undefined, { signal }).catch(() => undefined);
      } catch (error) {
        if (this.stopping.signal.aborted) break;
        failures += 1;
        this.logger.warn(
          { err: error, channel: this.channel.name, failures },
          'notification delivery failed; retrying',
        );
        await sleep(Math.min(100 * 2 ** failures, 10_000), undefined, { signal }).catch(() => undefined);
      }
    }
  }

  /** One page; true when there may be more at once. */
  private async round(): Promise<boolean> {
    const { owner, leaseMs, pageSize } = this.options;
    const name = this.channel.name;
    const held = await this.deliveries.acquire(name, owner, leaseMs);
    if (!held) return false;
    const generation = await this.live.of('notifications');
    if (!generation) return false;
    const checkpoints = await this.writer.checkpoints(generation);
    let frontier: bigint | null = null;
    for (const position of checkpoints.values())
      if (frontier === null || position < frontier) frontier = position;
    if (frontier === null) return false;
    let cursor = held.cursor;
    if (cursor === null) {
      cursor = afterPosition(frontier);
      await this.deliveries.advance(name, owner, cursor);
      this.logger.info(
        { channel: name, position: frontier.toString() },
        'notification channel starts: notifications from here on are delivered',
      );
    }
    const page = await this.log.ofAll(generation, cursor, frontier, pageSize);
    if (page.length === 0) return false;
    const last = page.at(-1);
    if (!last) return false;
    await this.deliverPage(page);
    if (!(await this.deliveries.advance(name, owner, cursorOf(last)))) {
      this.logger.warn(
        { channel: name },
        'lost the notification channel lease; another process delivers now',
      );
      return false;
    }
    return page.length === pageSize;
  }

  /** Every notification of the page delivered or recorded as a dead letter, the lease renewed meanwhile. */
  private async deliverPage(page: readonly NotificationView[]): Promise<void> {
    const { owner, leaseMs, concurrency } = this.options;
    const name = this.channel.name;
    const abort = new AbortController();
    const stop = () => abort.abort();
    this.stopping.signal.addEventListener('abort', stop);
    const renewal = setInterval(
      () => {
        this.deliveries.acquire(name, owner, leaseMs).then(
          (held) => {
            if (!held) abort.abort();
          },
          () => undefined,
        );
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    try {
      let next = 0;
      const worker = async (): Promise<void> => {
        for (
          let notification = page[next++];
          notification && !abort.signal.aborted;
          notification = page[next++]
        ) {
          try {
            await this.channel.deliver(notification, abort.signal);
            this.onOutcome({ notification, outcome: 'delivered' });
          } catch (error) {
            if (!(error instanceof UndeliverableError)) throw error;
            await this.deliveries.deadLetter(name, notification, error.attempts, error.message);
            this.onOutcome({ notification, outcome: 'dead_letter' });
            this.logger.error(
              {
                channel: name,
                notificationId: notification.notificationId,
                userId: notification.userId,
                kind: notification.kind,
                attempts: error.attempts,
                reason: error.message,
              },
              'notification could not be delivered: recorded as a dead letter',
            );
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, page.length) }, worker));
      if (abort.signal.aborted) throw new Error('delivery stopped before the page was done');
    } finally {
      clearInterval(renewal);
      this.stopping.signal.removeEventListener('abort', stop);
    }
  }
}
