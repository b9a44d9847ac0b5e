import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RecordedEvent } from '../commands/event-store-port';
import { RedisStreamsBus } from '../infra/redis/redis-streams-bus';
import { RocketMqBus } from '../infra/rocketmq/rocketmq-bus';
import { advanceFrontier, spansOf } from '../projections/checkpoint-frontier';
import type { BusConsumer, BusMessage, EventBus } from '../projections/event-bus-port';
import { provisionRocketMq, ROCKETMQ_ENDPOINTS } from './support/rocketmq-env';
import { createTestEnv, type TestEnv } from './support/test-env';

const GROUPS = ['order', 'other', 'redelivery', 'poison', 'resume'] as const;
const MAX_DELIVERIES = 3;

interface RecordingLogger {
  readonly errors: object[];
  info(): void;
  warn(): void;
  error(fields: object): void;
}
const recordingLogger = (): RecordingLogger => {
  const errors: object[] = [];
  return { errors, info: () => undefined, warn: () => undefined, error: (fields) => errors.push(fields) };
};

interface BusUnderTest {
  readonly bus: EventBus;
  readonly logger: RecordingLogger;
  /** How long a received, unacknowledged message stays with its consumer. */
  readonly holdMs: number;
  close(): Promise<void>;
}

const adapters: [string, (env: TestEnv) => Promise<BusUnderTest>][] = [
  [
    'Redis Streams',
    (env) => {
      const redis = new Redis(env.config.redis.url);
      const logger = recordingLogger();
      const bus = new RedisStreamsBus(redis, logger, {
        prefix: env.keyPrefix,
        claimIdleMs: 300,
        maxDeliveries: MAX_DELIVERIES,
      });
      return Promise.resolve({
        bus,
        logger,
        holdMs: 300,
        close: async () => {
          await redis.quit();
        },
      });
    },
  ],
  [
    'RocketMQ 5',
    async () => {
      const topic = await provisionRocketMq(GROUPS);
      const logger = recordingLogger();
      const bus = new RocketMqBus(
        {
          endpoints: ROCKETMQ_ENDPOINTS,
          ...topic,
          invisibleMs: 1500,
          awaitMs: 1000,
          maxDeliveries: MAX_DELIVERIES,
          requestTimeoutMs: 3000,
          namespace: '',
          credentials: null,
        },
        logger,
      );
      return { bus, logger, holdMs: 1500, close: () => bus.close() };
    },
  ],
];

const event = (position: number): RecordedEvent => ({
  streamId: `s-${position % 3}`,
  revision: BigInt(Math.floor(position / 3)),
  position: BigInt(position * 10),
  type: 'Tested',
  schemaVersion: 1,
  data: { position },
  metadata: {
    eventId: randomUUID(),
    correlationId: 'c',
    causationId: 'c',
    userId: 'u',
    occurredAt: new Date(0).toISOString(),
  },
  recordedAt: new Date(0),
});
const events = (from: number, count: number) => Array.from({ length: count }, (_, i) => event(from + i));

/**
 * Receives until every wanted position arrived (a bus may hand them out in several batches); every other message (a
 * group sees the whole topic) is acknowledged on the way.
 */
const receiveWanted = async (
  consumer: BusConsumer,
  wanted: readonly RecordedEvent[],
  withinMs = 20_000,
): Promise<BusMessage[]> => {
  const positions = new Set(wanted.map((e) => e.position));
  const received: BusMessage[] = [];
  const deadline = Date.now() + withinMs;
  while (received.length < positions.size && Date.now() < deadline) {
    const got = await consumer.receive(100, 200);
    await consumer.ack(got.filter((m) => !positions.has(m.event.position)));
    received.push(...got.filter((m) => positions.has(m.event.position)));
  }
  return received;
};

const positionsByStream = (messages: readonly BusMessage[]) => {
  const streams: Record<string, bigint[]> = {};
  for (const { event: e } of messages) (streams[e.streamId] ??= []).push(e.position);
  return streams;
};

describe.each(adapters)('event bus contract: %s', (_name, open) => {
  let env: TestEnv;
  let subject: BusUnderTest;

  beforeAll(async () => {
    env = createTestEnv();
    subject = await open(env);
  });
  afterAll(async () => {
    await subject.close();
    await env.cleanup();
  });

  it('delivers every event to every group once, each stream in order, with the links of the published sequence', async () => {
    const published = events(1, 12);
    await subject.bus.publish(published, 0n);
    const a = await subject.bus.consumer('order', 'a1');
    const b = await subject.bus.consumer('other', 'b1');
    const [gotA, gotB] = await Promise.all([receiveWanted(a, published), receiveWanted(b, published)]);
    for (const got of [gotA, gotB]) {
      expect(positionsByStream(got)).toEqual(
        positionsByStream(published.map((e) => ({ id: '', event: e, previous: 0n }))),
      );
      expect(advanceFrontier(0n, [], spansOf(got))).toEqual({ frontier: 120n, pending: [] });
    }
    expect(gotA.find((m) => m.event.position === 10n)?.event).toMatchObject({
      streamId: 's-1',
      revision: 0n,
      type: 'Tested',
      data: { position: 1 },
      metadata: published[0]?.metadata,
      recordedAt: new Date(0),
    });
    await a.ack(gotA);
    await b.ack(gotB);
    await new Promise((r) => setTimeout(r, subject.holdMs + 200));
    expect(await a.receive(100, 100)).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('delivers what a member held and never acknowledged to another member of the group', async () => {
    const published = events(20, 3);
    await subject.bus.publish(published, 190n);
    const stuck = await subject.bus.consumer('redelivery', 'r1');
    const held = await receiveWanted(stuck, published);
    expect(held).toHaveLength(3);
    const other = await subject.bus.consumer('redelivery', 'r2');
    const redelivered = await receiveWanted(other, published, subject.holdMs * 8 + 10_000);
    expect(redelivered.map((m) => m.event.position).sort()).toEqual(held.map((m) => m.event.position).sort());
    await other.ack(redelivered);
    await Promise.all([stuck.close(), other.close()]);
  });

  it('dead-letters a message that keeps failing, logs its event id, and lets its stream move on', async () => {
    const poison = { ...event(40), streamId: `poison-${randomUUID()}`, revision: 0n };
    const next = { ...event(41), streamId: poison.streamId, revision: 1n };
    await subject.bus.publish([poison], 390n);
    const consumer = await subject.bus.consumer('poison', 'p1');
    let deliveries = 0;
    const deadLettered = () =>
      subject.logger.errors.some((e) => (e as { eventId?: string }).eventId === poison.metadata.eventId);
    const deadline = Date.now() + subject.holdMs * 12 + 20_000;
    while (!deadLettered() && Date.now() < deadline) {
      const got = await consumer.receive(100, 200);
      await consumer.ack(got.filter((m) => m.event.position !== poison.position));
      deliveries += got.filter((m) => m.event.position === poison.position).length;
      if (got.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(deadLettered()).toBe(true);
    expect(deliveries).toBe(MAX_DELIVERIES);
    await subject.bus.publish([next], poison.position);
    const after = await receiveWanted(consumer, [next]);
    expect(after.map((m) => m.event.metadata.eventId)).toEqual([next.metadata.eventId]);
    await consumer.ack(after);
    await new Promise((r) => setTimeout(r, subject.holdMs + 200));
    const late = await consumer.receive(100, 100);
    expect(late.filter((m) => m.event.position === poison.position)).toEqual([]);
    await consumer.close();
  });

  it('resumes a group after its last acknowledgement when a new member starts', async () => {
    const before = events(60, 4);
    await subject.bus.publish(before, 590n);
    const first = await subject.bus.consumer('resume', 'm1');
    await first.ack(await receiveWanted(first, before));
    await first.close();
    const after = events(64, 4);
    await subject.bus.publish(after, 630n);
    const second = await subject.bus.consumer('resume', 'm2');
    const delivered: BusMessage[] = [];
    const deadline = Date.now() + 20_000;
    while (delivered.length < 4 && Date.now() < deadline) delivered.push(...(await second.receive(100, 200)));
    expect(delivered.map((m) => m.event.position).sort()).toEqual([640n, 650n, 660n, 670n]);
    await second.ack(delivered);
    await new Promise((r) => setTimeout(r, subject.holdMs + 200));
    expect(await second.receive(100, 100)).toEqual([]);
    await second.close();
  });
});
