import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

export const ROCKETMQ_ENDPOINTS = process.env.COUPONKILL_ROCKETMQ_ENDPOINTS ?? '127.0.0.1:18081';

const SCRIPT = resolve(__dirname, '../../scripts/rocketmq.sh');

export interface RocketMqTopic {
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly groupPrefix: string;
}

/** A fresh topic name and group prefix, so test files never see each other's messages. */
const privateTopic = (): RocketMqTopic => {
  const suffix = randomBytes(4).toString('hex');
  const topic = `ck-test-${suffix}`;
  return { topic, deadLetterTopic: `${topic}-DLQ`, groupPrefix: `ck-test-${suffix}` };
};

/**
 * A private FIFO topic and orderly groups on the local RocketMQ (scripts/rocketmq.sh, started by the global setup),
 * so test files never see each other's messages.
 */
export const provisionRocketMq = async (groups: readonly string[]): Promise<RocketMqTopic> => {
  const made = privateTopic();
  await promisify(execFile)(
    'bash',
    [SCRIPT, 'provision', made.topic, ...groups.map((g) => `${made.groupPrefix}-${g}`)],
    { timeout: 120_000 },
  );
  return made;
};

/**
 * Runs `scripts/rocketmq.sh provision-projections` for a topic and group prefix (again, for a rerun) and answers what
 * it printed: one line per object it created, then a summary.
 */
export const runProvisionProjections = async (
  { topic, groupPrefix }: RocketMqTopic,
  partitions: number,
  projections: readonly string[],
): Promise<string> => {
  const { stdout } = await promisify(execFile)(
    'bash',
    [SCRIPT, 'provision-projections', topic, groupPrefix, String(partitions), ...projections],
    { timeout: 120_000 },
  );
  return stdout;
};

/**
 * Private partitioned projection topics on the local RocketMQ: per projection and partition p of `partitions` the FIFO
 * topic `<topic>-<projection>-<p>of<partitions>` read by the orderly group
 * `<groupPrefix>-projector-<projection>-<p>of<partitions>`, and the dead-letter topic.
 */
export const provisionRocketMqProjections = async (
  partitions: number,
  projections: readonly string[],
): Promise<RocketMqTopic> => {
  const made = privateTopic();
  await runProvisionProjections(made, partitions, projections);
  return made;
};
