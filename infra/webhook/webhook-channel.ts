import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import type { WebhookSettings } from '../config/config';
import {
  UndeliverableError,
  type NotificationChannel,
} from '../../projections/notifications/notification-channel-port';
import type { NotificationView } from '../../projections/notifications/notifications-queries';
import { webhookKey, webhookSignature } from './webhook-signature';

/** A failed attempt another attempt may cure: no answer in time, a network error, 408, 425, 429 or a 5xx. */
class RetryableFailure extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RetryableFailure';
  }
}

const RETRYABLE_STATUSES = new Set([408, 425, 429]);

/** What the receiver gets: a Standard Webhooks payload, `data` the notification as the read API shows it. */
export const webhookPayload = (notification: NotificationView): string => {
  const { read: _read, ...data } = notification;
  return JSON.stringify({
    type: `notification.${notification.kind.toLowerCase()}`,
    timestamp: notification.createdAt,
    data,
  });
};

const reasonOf = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
};

/**
 * The webhook adapter of the notification channel: each notification is POSTed as JSON to the configured URL, signed
 * as Standard Webhooks says (`webhook-id` = the notification's id, for the receiver to drop repeats by;
 * `webhook-timestamp`; `webhook-signature`), retried with exponential back-off and jitter (cockatiel's
 * ExponentialBackoff, decorrelated jitter, `initialMs` doubling up to `maxMs`) while the failure is one a retry may
 * cure, up to `maxAttempts` attempts in all. Any 2xx is delivered. A 3xx (redirects are not followed) or another 4xx
 * is not retried. Giving up is UndeliverableError (the dispatcher records a dead letter).
 */
export class WebhookChannel implements NotificationChannel {
  readonly name = 'webhook';
  private readonly key: Buffer;
  private readonly policy: RetryPolicy;

  constructor(
    private readonly settings: WebhookSettings,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    this.key = webhookKey(settings.secret);
    this.policy = retry(
      handleWhen((error) => error instanceof RetryableFailure),
      {
        maxAttempts: settings.maxAttempts - 1,
        backoff: new ExponentialBackoff({
          initialDelay: settings.backoff.initialMs,
          maxDelay: settings.backoff.maxMs,
        }),
      },
    ).dangerouslyUnref();
  }

  async deliver(notification: NotificationView, signal: AbortSignal): Promise<void> {
    const body = webhookPayload(notification);
    let attempts = 0;
    const attempt = async (): Promise<void> => {
      signal.throwIfAborted();
      attempts += 1;
      await this.post(notification.notificationId, body, signal);
    };
    // A back-off delay is not cut short by the signal: the race is, and the attempt after it does nothing.
    let stop = (): void => undefined;
    const aborted = new Promise<never>((_, reject) => {
      stop = () => reject(signal.reason as Error);
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
    const delivery = this.policy.execute(attempt, signal);
    delivery.catch(() => undefined);
    try {
      await Promise.race([delivery, aborted]);
    } catch (error) {
      if (signal.aborted) throw error;
      throw new UndeliverableError(attempts, reasonOf(error));
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  private async post(id: string, body: string, signal: AbortSignal): Promise<void> {
    const timestamp = this.nowSeconds();
    let response: Response;
    try {
      response = await fetch(this.settings.url, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'couponkill-webhook/1',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': webhookSignature(this.key, id, timestamp, body),
        },
        body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.settings.timeoutMs)]),
      });
    } catch (error) {
      signal.throwIfAborted();
      throw new RetryableFailure(`no answer: ${reasonOf(error)}`);
    }
    // The body is not needed; reading it frees the connection.
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return;
    const reason = `answered ${String(response.status)}`;
    if (response.status >= 500 || RETRYABLE_STATUSES.has(response.status)) throw new RetryableFailure(reason);
    throw new Error(`${reason}, which no retry cures`);
  }
}
