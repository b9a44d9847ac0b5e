import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, "Signature scheme"): the secret is `whsec_` and the
 * base64 of the key's bytes; the signed content is `<webhook-id>.<webhook-timestamp>.<body>`; the
 * `webhook-signature` header is `v1,` and the base64 of its HMAC-SHA256. Receivers verify it with any Standard
 * Webhooks library (the tests do, with the `standardwebhooks` package) or the three lines below, compare in constant
 * time, and refuse timestamps too far from their clock (replays).
 */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

export const webhookKey = (secret: string): Buffer =>
  Buffer.from(
    secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret,
    'base64',
  );

/** The `webhook-signature` header value of a message. */
export const webhookSignature = (key: Buffer, id: string, timestampSeconds: number, body: string): string =>
  `v1,${createHmac('sha256', key)
    .update(`${id}.${String(timestampSeconds)}.${body}`)
    .digest('base64')}`;
