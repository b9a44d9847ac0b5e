import type { NotificationCursor, NotificationView } from './notifications-queries';

/**
 * An external channel notifications are also delivered to (a webhook: infra/webhook/), at least once: the same
 * notification may come again (its `notificationId` is the key to drop it by). `deliver` retries as the channel sees
 * fit and throws UndeliverableError when it gives up; it stops early, with any other error, when `signal` aborts.
 */
export interface NotificationChannel {
  /** The channel's name, where its progress and dead letters are kept. */
  readonly name: string;
  deliver(notification: NotificationView, signal: AbortSignal): Promise<void>;
}

/** The channel gave up on a notification: its last attempt failed, or the failure was one no retry can cure. */
export class UndeliverableError extends Error {
  constructor(
    readonly attempts: number,
    reason: string,
  ) {
    super(reason);
    this.name = 'UndeliverableError';
  }
}

/** A notification a channel gave up on, as recorded. */
export interface NotificationDeadLetter {
  readonly notificationId: string;
  readonly userId: string;
  readonly kind: string;
  readonly position: string;
  readonly attempts: number;
  readonly reason: string;
}

/**
 * A channel's progress through the notifications (a cursor, generation-independent: positions and ids are the same in
 * every build of the read model), the lease that lets one dispatcher at a time move it, and its dead letters.
 */
export interface NotificationDeliveries {
  /**
   * Takes or renews the channel's lease for `owner` for `ttlMs`. Held: the cursor (null before the first delivery);
   * else null (another owner's lease is in force).
   */
  acquire(
    channel: string,
    owner: string,
    ttlMs: number,
  ): Promise<{ readonly cursor: NotificationCursor | null } | null>;
  /** Moves the cursor while `owner` holds the lease; false when it does not (then nothing is written). */
  advance(channel: string, owner: string, cursor: NotificationCursor): Promise<boolean>;
  release(channel: string, owner: string): Promise<void>;
  /** Records a notification the channel gave up on (recording it again replaces the record). */
  deadLetter(
    channel: string,
    notification: NotificationView,
    attempts: number,
    reason: string,
  ): Promise<void>;
  deadLetters(channel: string, limit: number): Promise<NotificationDeadLetter[]>;
}
