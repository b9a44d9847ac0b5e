import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RecordedEvent } from '../commands/event-store-port';
import { RedisStreamsBus } from '../infra/redis/redis-streams-bus';
import { RocketMqBus } from '../infra/rocketmq/rocketmq-bus';
import { advanceFrontier, spansOf } from '../projections/checkpoint-frontier';
import {
  sequence,
  type BusConsumer,
  type BusMessage,
  type EventBus,
  type SequencedEvent,
} from '../projections/event-bus-port';
import type { ProjectionName } from '../projections/projection';
import { provisionRocketMqProjections, ROCKETMQ_ENDPOINTS } from './support/rocketmq-env';
import { createTestEnv, type TestEnv } from './support/test-env';

const PARTITIONS = 2;
const PROJECTIONS: readonly ProjectionName[] = ['orders', 'coupons', 'stats'];
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
  /** How long a received, unacknowledged message stays with a consumer that stopped answering. */
  readonly holdMs: number;
  close(): Promise<void>;
}

/** Each case gets a bus of its own (fresh streams or topics), so no case sees another's messages. */
const adapters: [string, (env: TestEnv) => Promise<BusUnderTest>][] = [
  [
    'Redis Streams',
    (env) => {
      const redis = new Redis(env.config.redis.url);
      const logger = recordingLogger();
      const bus = new RedisStreamsBus(redis, logger, {
        prefix: `${env.keyPrefix}:${randomUUID()}`,
        claimIdleMs: 300,
        maxDeliveries: MAX_DELIVERIES,
        partitions: PARTITIONS,
        trimEveryMs: 60_000,
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
      const topic = await provisionRocketMqProjections(PARTITIONS, PROJECTIONS);
      const logger = recordingLogger();
      const bus = new RocketMqBus(
        {
          endpoints: ROCKETMQ_ENDPOINTS,
          ...topic,
          partitions: PARTITIONS,
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

const event = (position: number, streamId = `s-${position % 3}`): RecordedEvent => ({
  streamId,
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

/** Receives until `count` messages arrived (a bus may hand them out in several batches). */
const receiveCount = async (
  consumer: BusConsumer,
  count: number,
  withinMs = 20_000,
): Promise<BusMessage[]> => {
  const received: BusMessage[] = [];
  const deadline = Date.now() + withinMs;
  while (received.length < count && Date.now() < deadline)
    received.push(...(await consumer.receive(100, 200)));
  return received;
};

/** What a message says, without the bus's own delivery id. */
const content = ({ position, previous, event: e }: SequencedEvent) => ({
  position,
  previous,
  eventId: e?.metadata.eventId ?? null,
});

const byStream = (messages: readonly BusMessage[]) => {
  const streams: Record<string, bigint[]> = {};
  for (const m of messages)
    (streams[`${String(m.partition)}/${m.event?.streamId ?? '~'}`] ??= []).push(m.position);
  return streams;
};

describe.each(adapters)('event bus contract: %s', (_name, open) => {
  let env: TestEnv;
  let subject: BusUnderTest;

  beforeAll(() => {
    env = createTestEnv();
  });
  beforeEach(async () => {
    subject = await open(env);
  });
  afterEach(async () => {
    await subject.close();
  });
  afterAll(async () => {
    await env.cleanup();
  });

  it("gives each partition's messages, watermarks included, to the consumers of that partition only, each stream in order", async () => {
    const zero = [...sequence(events(1, 6), 0n), { position: 70n, previous: 60n, event: null }];
    const one = sequence(events(10, 5), 0n);
    await subject.bus.publish([
      { projection: 'orders', partition: 0, messages: zero },
      { projection: 'orders', partition: 1, messages: one },
      { projection: 'coupons', partition: 1, messages: one.slice(0, 2) },
    ]);
    const onlyZero = await subject.bus.consumer('orders', [0], 'a1');
    const gotZero = await receiveCount(onlyZero, zero.length);
    await onlyZero.ack(gotZero);
    expect(gotZero.every((m) => m.partition === 0)).toBe(true);
    expect(byStream(gotZero)).toEqual(byStream(zero.map((m) => ({ ...m, id: '', partition: 0 }))));
    expect(gotZero.map(content).sort((a, b) => Number(a.position - b.position))).toEqual(zero.map(content));
    expect(advanceFrontier(0n, [], spansOf(gotZero))).toEqual({ frontier: 70n, pending: [] });
    expect(gotZero.find((m) => m.position === 10n)?.event).toMatchObject({
      streamId: 's-1',
      revision: 0n,
      type: 'Tested',
      data: { position: 1 },
      metadata: zero[0]?.event?.metadata,
      recordedAt: new Date(0),
    });

    const coupons = await subject.bus.consumer('coupons', [0, 1], 'c1');
    const gotCoupons = await receiveCount(coupons, 2);
    await coupons.ack(gotCoupons);
    expect(gotCoupons.map(content).sort((a, b) => Number(a.position - b.position))).toEqual(
      one.slice(0, 2).map(content),
    );
    expect(gotCoupons.every((m) => m.partition === 1)).toBe(true);

    await new Promise((r) => setTimeout(r, subject.holdMs + 200));
    expect(await onlyZero.receive(100, 300)).toEqual([]);
    expect(await coupons.receive(100, 300)).toEqual([]);
    await Promise.all([onlyZero.close(), coupons.close()]);
  });

  it("hands what a partition's previous holder received and never acknowledged to its next consumer", async () => {
    const published = sequence(events(20, 3), 0n);
    await subject.bus.publish([{ projection: 'orders', partition: 1, messages: published }]);
    const stuck = await subject.bus.consumer('orders', [1], 'r1');
    const held = await receiveCount(stuck, 3);
    expect(held).toHaveLength(3);
    // r1 stops answering without closing (a SIGKILLed replica); the lease moves partition 1 to r2.
    const next = await subject.bus.consumer('orders', [1], 'r2');
    const redelivered = await receiveCount(next, 3, subject.holdMs * 8 + 10_000);
    expect(redelivered.map(content).sort((a, b) => Number(a.position - b.position))).toEqual(
      published.map(content),
    );
    await next.ack(redelivered);
    await Promise.all([stuck.close(), next.close()]);
  });

  it('hands back what a consumer held when it closes, to the next consumer at once', async () => {
    const published = sequence(events(30, 2), 0n);
    await subject.bus.publish([{ projection: 'stats', partition: 0, messages: published }]);
    const first = await subject.bus.consumer('stats', [0], 'h1');
    expect(await receiveCount(first, 2)).toHaveLength(2);
    await first.close();
    const second = await subject.bus.consumer('stats', [0], 'h2');
    const again = await receiveCount(second, 2, subject.holdMs * 4 + 10_000);
    expect(again.map(content)).toEqual(expect.arrayContaining(published.map(content)));
    await second.ack(again);
    await second.close();
  });

  it('dead-letters a message that keeps failing, logs its event id, and lets its partition move on', async () => {
    const poison = { ...event(40), streamId: `poison-${randomUUID()}`, revision: 0n };
    const next = { ...event(41), streamId: poison.streamId, revision: 1n };
    await subject.bus.publish([{ projection: 'coupons', partition: 0, messages: sequence([poison], 0n) }]);
    const consumer = await subject.bus.consumer('coupons', [0], 'p1');
    let deliveries = 0;
    const deadLettered = () =>
      subject.logger.errors.some((e) => (e as { eventId?: string }).eventId === poison.metadata.eventId);
    const deadline = Date.now() + subject.holdMs * 12 + 20_000;
    while (!deadLettered() && Date.now() < deadline) {
      const got = await consumer.receive(100, 200);
      deliveries += got.filter((m) => m.position === poison.position).length;
      if (got.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(deadLettered()).toBe(true);
    expect(deliveries).toBe(MAX_DELIVERIES);
    await subject.bus.publish([
      { projection: 'coupons', partition: 0, messages: sequence([next], poison.position) },
    ]);
    const after = await receiveCount(consumer, 1);
    expect(after.map((m) => m.event?.metadata.eventId)).toEqual([next.metadata.eventId]);
    await consumer.ack(after);
    await new Promise((r) => setTimeout(r, subject.holdMs + 200));
    const late = await consumer.receive(100, 100);
    expect(late.filter((m) => m.position === poison.position)).toEqual([]);
    await consumer.close();
  });

  it('resumes a partition after its last acknowledgement when a new consumer starts', async () => {
    const before = sequence(events(60, 4), 0n);
    await subject.bus.publish([{ projection: 'orders', partition: 0, messages: before }]);
    const first = await subject.bus.consumer('orders', [0], 'm1');
    await first.ack(await receiveCount(first, 4));
    await first.close();
    const after = sequence(events(64, 4), 630n);
    await subject.bus.publish([{ projection: 'orders', partition: 0, messages: after }]);
    const second = await subject.bus.consumer('orders', [0], 'm2');
    const delivered = await receiveCount(second, 4);
    expect(delivered.map((m) => m.position).sort()).toEqual([640n, 650n, 660n, 670n]);
    await second.ack(delivered);
    await new Promise((r) => setTimeout(r, subject.holdMs + 200));
    expect(await second.receive(100, 100)).toEqual([]);
    await second.close();
  });
});
