import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

export const ROCKETMQ_ENDPOINTS = process.env.COUPONKILL_ROCKETMQ_ENDPOINTS ?? '127.0.0.1:18081';

export interface RocketMqTopic {
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly groupPrefix: string;
}

/**
 * A private FIFO topic and orderly groups on the local RocketMQ (scripts/rocketmq.sh, started by the global setup),
 * so test files never see each other's messages.
 */
export const provisionRocketMq = async (groups: readonly string[]): Promise<RocketMqTopic> => {
  const suffix = randomBytes(4).toString('hex');
  const topic = `ck-test-${suffix}`;
  const groupPrefix = `ck-test-${suffix}`;
  await promisify(execFile)(
    'bash',
    [
      resolve(__dirname, '../../scripts/rocketmq.sh'),
      'provision',
      topic,
      ...groups.map((g) => `${groupPrefix}-${g}`),
    ],
    { timeout: 120_000 },
  );
  return { topic, deadLetterTopic: `${topic}-DLQ`, groupPrefix };
};
