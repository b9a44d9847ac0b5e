import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Integration tests run against real Redis and MariaDB. Servers named by COUPONKILL_REDIS_URL and COUPONKILL_MYSQL_URL
 * are used as they are; otherwise ours are started (idempotent, quick when they already run).
 */
export default function globalSetup(): void {
  if (process.env.COUPONKILL_REDIS_URL && process.env.COUPONKILL_MYSQL_URL) return;
  execFileSync('bash', [resolve(__dirname, '../../scripts/services.sh'), 'up'], { stdio: 'inherit' });
}
