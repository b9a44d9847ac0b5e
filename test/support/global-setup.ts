import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const script = (name: string) => resolve(__dirname, '../../scripts', name);

/**
 * Integration tests run against real Redis, MariaDB and RocketMQ. Servers named by COUPONKILL_REDIS_URL and
 * COUPONKILL_MYSQL_URL, and a proxy named by COUPONKILL_ROCKETMQ_ENDPOINTS, are used as they are; otherwise ours are
 * started (idempotent, quick when they already run).
 */
export default function globalSetup(): void {
  if (!process.env.COUPONKILL_REDIS_URL || !process.env.COUPONKILL_MYSQL_URL)
    execFileSync('bash', [script('services.sh'), 'up'], { stdio: 'inherit' });
  if (!process.env.COUPONKILL_ROCKETMQ_ENDPOINTS)
    execFileSync('bash', [script('rocketmq.sh'), 'up'], { stdio: 'inherit' });
}
