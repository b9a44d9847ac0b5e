import { notificationStreamId } from '../domain/notification/notification-events';
import { markNotificationRead, markNotificationsReadUpTo } from '../domain/notification/notification-marks';
import type { DomainEvent } from '../domain/shared/event';
import type { Clock } from './clock-port';
import { withMetadata, type CommandContext } from './command-context';
import type { EventStore } from './event-store-port';
import type { IdGenerator } from './id-generator-port';

export interface NotificationReadResult {
  readonly notificationId: string;
  /** Where the mark was stored: pass it as `minPosition` to read the notification as read. */
  readonly position: string;
}

export interface NotificationsReadResult {
  /** Every notification at or before this position is read. */
  readonly upToPosition: string;
  readonly position: string;
}

/**
 * A buyer's read marks: appended to their own stream (`notifications-<userId>`) with no expected revision, since
 * marking needs no state (domain/notification/notification-marks.ts) and marks commute. The acting buyer is the one
 * whose notifications are marked: nobody marks another's.
 */
export class NotificationHandlers {
  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  async markRead(notificationId: string, context: CommandContext): Promise<NotificationReadResult> {
    const event = markNotificationRead({ userId: context.actorId, notificationId, now: this.clock.now() });
    return { notificationId, position: await this.append(event, context) };
  }

  /** Everything up to `upTo` is read; null: everything stored so far (the event store's head now). */
  async markAllRead(upTo: bigint | null, context: CommandContext): Promise<NotificationsReadResult> {
    const position = upTo ?? (await this.store.headPosition());
    const event = markNotificationsReadUpTo({
      userId: context.actorId,
      upTo: position,
      now: this.clock.now(),
    });
    return { upToPosition: position.toString(), position: await this.append(event, context) };
  }

  private async append(event: DomainEvent, context: CommandContext): Promise<string> {
    const toAppend = withMetadata([event], context, this.clock.now(), () => this.ids.newId());
    const { position } = await this.store.append(notificationStreamId(context.actorId), toAppend, 'any');
    return position.toString();
  }
}
