import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { startRoles, type RunningProcess } from '../bin/process';
import { TOKENS } from '../bin/tokens';
import { systemContext, withMetadata } from '../commands/command-context';
import type { WebhookSettings } from '../infra/config/config';
import { MySqlNotificationDeliveries } from '../infra/mysql/mysql-notification-deliveries';
import { WebhookChannel } from '../infra/webhook/webhook-channel';
import { UndeliverableError } from '../projections/notifications/notification-channel-port';
import type { NotificationView } from '../projections/notifications/notifications-queries';
import { createTestEnv, type TestEnv } from './support/test-env';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number;
}

/**
 * A real local webhook receiver: `answer(id, attempt)` is the status it gives to the `attempt`th request carrying that
 * `webhook-id` (1-based); it records every request.
 */
const receiver = async (
  answer: (id: string, attempt: number) => number,
): Promise<{
  url: string;
  received: Received[];
  attemptsOf: (id: string) => number;
  close(): Promise<void>;
}> => {
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      const status = answer(id, attempt);
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}/hooks/couponkill`,
    received,
    attemptsOf: (id) => attempts.get(id) ?? 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
};

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

const settings = (url: string, maxAttempts = 4): WebhookSettings => ({
  url,
  secret: SECRET,
  maxAttempts,
  backoff: { initialMs: 20, maxMs: 100 },
  timeoutMs: 1000,
  concurrency: 4,
});

const notification = (): NotificationView => {
  const notificationId = randomUUID();
  return {
    notificationId,
    userId: 'alice',
    kind: 'RESERVATION_CANCELLED',
    payload: { reservationId: randomUUID(), couponId: randomUUID() },
    createdAt: '2026-01-01T10:00:00.000Z',
    position: '42',
    cursor: `42-${notificationId}`,
    read: false,
  };
};

const until = async (
  what: string,
  done: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('webhook channel (a real local HTTP receiver)', () => {
  const signal = new AbortController().signal;

  it('retries a receiver that fails the first N times, the same signed message each time, until it takes it', async () => {
    const hook = await receiver((_id, attempt) => (attempt <= 2 ? 503 : 204));
    try {
      const sent = notification();
      await new WebhookChannel(settings(hook.url)).deliver(sent, signal);
      expect(hook.received.map((r) => r.status)).toEqual([503, 503, 204]);
      const verifier = new Webhook(SECRET);
      for (const { headers, body } of hook.received) {
        expect(headers['webhook-id']).toBe(sent.notificationId);
        expect(headers['content-type']).toBe('application/json');
        // Verified by the reference library of Standard Webhooks.
        expect(
          verifier.verify(body, {
            'webhook-id': String(headers['webhook-id']),
            'webhook-timestamp': String(headers['webhook-timestamp']),
            'webhook-signature': String(headers['webhook-signature']),
          }),
        ).toEqual({
          type: 'notification.reservation_cancelled',
          timestamp: sent.createdAt,
          data: {
            notificationId: sent.notificationId,
            userId: 'alice',
            kind: 'RESERVATION_CANCELLED',
            payload: sent.payload,
            createdAt: sent.createdAt,
            position: '42',
            cursor: sent.cursor,
          },
        });
      }
      // A tampered body or another secret fails verification.
      const [first] = hook.received;
      const headers = {
        'webhook-id': String(first!.headers['webhook-id']),
        'webhook-timestamp': String(first!.headers['webhook-timestamp']),
        'webhook-signature': String(first!.headers['webhook-signature']),
      };
      expect(() => verifier.verify(first!.body.replace('alice', 'mallory'), headers)).toThrow();
      expect(() =>
        new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(first!.body, headers),
      ).toThrow();
    } finally {
      await hook.close();
    }
  });

  it('gives up after the last attempt on a receiver that always fails, and at once on a refusal no retry cures', async () => {
    const failing = await receiver(() => 500);
    const refusing = await receiver(() => 410);
    try {
      const error = await new WebhookChannel(settings(failing.url, 5)).deliver(notification(), signal).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UndeliverableError);
      expect((error as UndeliverableError).attempts).toBe(5);
      expect((error as UndeliverableError).message).toContain('500');
      expect(failing.received).toHaveLength(5);

      const refused = await new WebhookChannel(settings(refusing.url, 5))
        .deliver(notification(), signal)
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(refused).toMatchObject({ attempts: 1 });
      expect(refusing.received).toHaveLength(1);

      // Nobody listening: retried like a 5xx.
      const nobody = await new WebhookChannel(settings('http://127.0.0.1:9/', 3))
        .deliver(notification(), signal)
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(nobody).toMatchObject({ attempts: 3 });
    } finally {
      await failing.close();
      await refusing.close();
    }
  });
});

describe('webhook delivery of every notification (event store → projector → dispatcher → receiver)', () => {
  let env: TestEnv;
  let app: RunningProcess;
  let mode: 'flaky' | 'down' = 'flaky';
  let hook: Awaited<ReturnType<typeof receiver>>;

  const outcome = async (userId: string): Promise<string> => {
    const reservationId = randomUUID();
    const [event] = withMetadata(
      [
        {
          type: 'ReservationCancelled',
          schemaVersion: 1,
          data: { reservationId, couponId: randomUUID(), userId, cancelledAt: new Date().toISOString() },
        },
      ],
      systemContext('test'),
      new Date(),
      randomUUID,
    );
    await app.container.get(TOKENS.EventStore).append(`reservation-${reservationId}`, [event!], 'no_stream');
    return event!.metadata.eventId;
  };

  beforeAll(async () => {
    // Flaky: each notification's first two attempts fail. Down: every attempt fails.
    hook = await receiver((_id, attempt) => (mode === 'down' ? 503 : attempt <= 2 ? 500 : 200));
    env = createTestEnv({
      COUPONKILL_PROJECTION_PARTITIONS: '4',
      COUPONKILL_WEBHOOK_URL: hook.url,
      COUPONKILL_WEBHOOK_SECRET: SECRET,
      COUPONKILL_WEBHOOK_MAX_ATTEMPTS: '4',
      COUPONKILL_WEBHOOK_BACKOFF_INITIAL_MS: '20',
      COUPONKILL_WEBHOOK_BACKOFF_MAX_MS: '100',
      COUPONKILL_WEBHOOK_TIMEOUT_MS: '1000',
    });
    app = await startRoles(env.config, { relay: true, projectors: ['notifications'] }, 'all-in-one');
    // The channel starts at the read model's frontier: wait until it has, so what follows is delivered.
    const pool = app.container.get(TOKENS.CatalogPool);
    await until('the webhook channel to start', async () => {
      const [rows] = await pool.query('SELECT position FROM notification_deliveries WHERE channel = ?', [
        'webhook',
      ]);
      return (rows as { position: unknown }[])[0]?.position != null;
    });
  }, 120_000);
  afterAll(async () => {
    await app.stop();
    await env.cleanup();
    await hook.close();
  });

  it('delivers each notification at least once, through the receiver’s failures, with its id to drop repeats by', async () => {
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => outcome(`hooked-${String(i % 5)}`)));
    await until('every notification to be delivered', () =>
      ids.every((id) => hook.received.some((r) => r.headers['webhook-id'] === id && r.status === 200)),
    );
    for (const id of ids) expect(hook.attemptsOf(id)).toBeGreaterThanOrEqual(3);
    const deliveries = app.container.get(MySqlNotificationDeliveries);
    expect(await deliveries.deadLetters('webhook', 100)).toEqual([]);
    const metrics = await app.container
      .get(TOKENS.Metrics)
      .getSingleMetricAsString('couponkill_notification_deliveries_total');
    expect(metrics).toContain('outcome="delivered"');
  });

  it('records a dead letter after the last attempt to a receiver that always fails, and goes on', async () => {
    mode = 'down';
    const ids = await Promise.all([outcome('doomed-1'), outcome('doomed-2')]);
    const deliveries = app.container.get(MySqlNotificationDeliveries);
    await until('two dead letters', async () => (await deliveries.deadLetters('webhook', 100)).length === 2);
    const letters = await deliveries.deadLetters('webhook', 100);
    expect(letters.map((l) => l.notificationId).sort()).toEqual([...ids].sort());
    for (const letter of letters) {
      expect(letter).toMatchObject({ kind: 'RESERVATION_CANCELLED', attempts: 4 });
      expect(letter.reason).toContain('503');
      expect(hook.attemptsOf(letter.notificationId)).toBe(4);
    }
    // The channel moved past them: the next one is delivered once the receiver is back.
    mode = 'flaky';
    const next = await outcome('survivor');
    await until('the next notification', () =>
      hook.received.some((r) => r.headers['webhook-id'] === next && r.status === 200),
    );
  });
});
