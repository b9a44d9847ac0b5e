import { Producer, SimpleConsumer, type ILogger } from 'rocketmq-client-nodejs';
import { startClient } from '../infra/rocketmq/start-client';
import {
  provisionRocketMqProjections,
  ROCKETMQ_ENDPOINTS,
  runProvisionProjections,
  type RocketMqTopic,
} from './support/rocketmq-env';

const PARTITIONS = 4;
const PROJECTIONS = ['orders', 'coupons'] as const;
/** Sent to orders 2of4 before its group ever connected: several, so a start at the newest one would show. */
const EARLY = 3;
/** Wall time a rerun that changes nothing may take, JVM start and source compilation included, on a busy CI box. */
const RERUN_BUDGET_MS = 30_000;

const silent: ILogger = {
  info: () => undefined,
  debug: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const settings = { endpoints: ROCKETMQ_ENDPOINTS, namespace: '', requestTimeout: 5000, logger: silent };

interface Partition {
  readonly topic: string;
  readonly group: string;
}
const partition = (made: RocketMqTopic, projection: string, p: number): Partition => ({
  topic: `${made.topic}-${projection}-${p}of${PARTITIONS}`,
  group: `${made.groupPrefix}-projector-${projection}-${p}of${PARTITIONS}`,
});

/** A consumer of one group on one partition topic, started only when the test wants its first receive. */
const consumerOf = ({ topic, group }: Partition): Promise<SimpleConsumer> =>
  startClient(
    () =>
      new SimpleConsumer({
        ...settings,
        consumerGroup: group,
        subscriptions: new Map([[topic, '*']]),
        awaitDuration: 1000,
      }),
  );

/** Receives (and acknowledges) until `count` bodies came or the time is up; answers the bodies in delivery order. */
const receiveBodies = async (
  consumer: SimpleConsumer,
  count: number,
  withinMs = 20_000,
): Promise<string[]> => {
  const bodies: string[] = [];
  const deadline = Date.now() + withinMs;
  while (bodies.length < count && Date.now() < deadline) {
    for (const view of await consumer.receive(16, 10_000)) {
      bodies.push(view.body.toString());
      await consumer.ack(view);
    }
  }
  return bodies;
};

describe('RocketMQ provision-projections: partition topics and their orderly groups', () => {
  let made: RocketMqTopic;
  let producer: Producer | undefined;
  const partitions = PROJECTIONS.flatMap((projection) =>
    Array.from({ length: PARTITIONS }, (_, p) => ({ projection, p })),
  );
  const orders2 = () => partition(made, 'orders', 2);
  /** What each partition topic was sent before any consumer started, by topic. */
  const sent = new Map<string, string[]>();

  beforeAll(async () => {
    made = await provisionRocketMqProjections(PARTITIONS, PROJECTIONS);
    const topics = partitions.map(({ projection, p }) => partition(made, projection, p).topic);
    // No topics to prefetch: like the bus, each route is fetched on its first send.
    producer = await startClient(() => new Producer({ ...settings }));
    for (const topic of topics) {
      const bodies = Array.from({ length: topic === orders2().topic ? EARLY : 1 }, (_, i) => `${topic}#${i}`);
      sent.set(topic, bodies);
      // One message group per topic, so orders 2of4's messages share a queue and an order.
      for (const body of bodies)
        await producer.send({ topic, body: Buffer.from(body), messageGroup: 'stream-1' });
    }
  });
  afterAll(async () => {
    await producer?.shutdown();
  });

  it('delivers what a partition was sent before its group ever connected, from the first message on', async () => {
    const consumer = await consumerOf(orders2());
    try {
      expect(await receiveBodies(consumer, EARLY)).toEqual(sent.get(orders2().topic));
    } finally {
      await consumer.shutdown();
    }
  });

  it("gives each partition's group that partition's messages and no other's", async () => {
    const others = partitions
      .map(({ projection, p }) => partition(made, projection, p))
      .filter(({ topic }) => topic !== orders2().topic);
    const received = await Promise.all(
      others.map(async (other) => {
        const consumer = await consumerOf(other);
        try {
          const bodies = await receiveBodies(consumer, 1);
          // Anything more than its own one message would arrive in a further receive.
          bodies.push(...(await receiveBodies(consumer, 1, 1500)));
          return [other.topic, bodies] as const;
        } finally {
          await consumer.shutdown();
        }
      }),
    );
    expect(new Map(received)).toEqual(new Map([...sent].filter(([topic]) => topic !== orders2().topic)));
  });

  it('reruns as a no-op that finishes quickly and leaves the offsets where the groups left them', async () => {
    const started = Date.now();
    const output = await runProvisionProjections(made, PARTITIONS, PROJECTIONS);
    expect(Date.now() - started).toBeLessThan(RERUN_BUDGET_MS);
    expect(output).not.toMatch(/^(created|set) /m);
    expect(output).toMatch(
      /: 9 topics and 8 groups on \d+ broker\(s\) of DefaultCluster: 0 topics created, 0 groups created, 0 groups set to offset 0 on 0 queues/,
    );
    const consumer = await consumerOf(orders2());
    try {
      expect(await receiveBodies(consumer, 1, 2500)).toEqual([]);
    } finally {
      await consumer.shutdown();
    }
  });
});
