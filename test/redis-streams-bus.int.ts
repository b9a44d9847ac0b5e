import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RecordedEvent } from '../commands/event-store-port';
import { RedisStreamsBus } from '../infra/redis/redis-streams-bus';
import { createTestEnv, type TestEnv } from './support/test-env';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

const event = (position: number): RecordedEvent => ({
  streamId: `s-${position % 3}`,
  revision: BigInt(Math.floor(position / 3)),
  position: BigInt(position),
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

describe('Redis Streams bus', () => {
  let env: TestEnv;
  let redis: Redis;
  let bus: RedisStreamsBus;

  beforeAll(() => {
    env = createTestEnv();
    redis = new Redis(env.config.redis.url);
    bus = new RedisStreamsBus(redis, silent, { prefix: env.keyPrefix, claimIdleMs: 300, maxDeliveries: 3 });
  });
  afterAll(async () => {
    await redis.quit();
    await env.cleanup();
  });

  it('delivers in order, once per group, and not again after ack', async () => {
    await bus.publish(Array.from({ length: 10 }, (_, i) => event(i + 1)));
    const a = await bus.consumer('group-a', 'a1');
    const b = await bus.consumer('group-b', 'b1');
    const gotA = await a.receive(100, 100);
    const gotB = await b.receive(100, 100);
    expect(gotA.map((m) => m.event.position)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i + 1)));
    expect(gotB).toHaveLength(10);
    expect(gotA[0]?.event).toMatchObject({
      streamId: 's-1',
      revision: 0n,
      type: 'Tested',
      data: { position: 1 },
    });
    await a.ack(gotA);
    expect(await a.receive(100, 50)).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it('hands what a crashed consumer held to the same name on restart, then to others after the idle time', async () => {
    await bus.publish([event(100), event(101)]);
    const first = await bus.consumer('group-c', 'c1');
    await first.receive(1, 100); // takes everything published so far except the last one
    await first.close(); // crashes without ack
    const restarted = await bus.consumer('group-c', 'c1');
    const again = await restarted.receive(100, 100);
    expect(again.length).toBeGreaterThan(0);
    await restarted.close(); // crashes again
    const other = await bus.consumer('group-c', 'c2');
    await new Promise((r) => setTimeout(r, 400));
    const claimed = await other.receive(100, 100);
    expect(claimed.map((m) => m.event.position)).toEqual(again.map((m) => m.event.position));
    await other.ack(claimed);
    await other.close();
  });

  it('dead-letters a message that keeps failing, and logs its event id', async () => {
    const errors: object[] = [];
    const loud = { ...silent, error: (fields: object) => errors.push(fields) };
    const poisonBus = new RedisStreamsBus(redis, loud, {
      prefix: `${env.keyPrefix}p`,
      claimIdleMs: 50,
      maxDeliveries: 3,
    });
    const poison = event(7);
    await poisonBus.publish([poison]);
    const consumer = await poisonBus.consumer('group-p', 'p1');
    const other = await poisonBus.consumer('group-p', 'p2');
    let deliveries = (await consumer.receive(10, 50)).length;
    for (let i = 0; i < 10 && deliveries < 5; i++) {
      await new Promise((r) => setTimeout(r, 80));
      deliveries += (await other.receive(10, 10)).length;
    }
    expect(deliveries).toBe(3);
    const dead = await redis.xrange(poisonBus.deadLetterKey, '-', '+');
    expect(dead).toHaveLength(1);
    expect(errors).toEqual([expect.objectContaining({ eventId: poison.metadata.eventId, group: 'group-p' })]);
    await new Promise((r) => setTimeout(r, 80));
    expect(await other.receive(10, 10)).toEqual([]);
    await Promise.all([consumer.close(), other.close()]);
    await redis.del(poisonBus.streamKey, poisonBus.deadLetterKey);
  });
});
