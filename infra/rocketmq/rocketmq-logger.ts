import { format } from 'node:util';
import type { ILogger } from 'rocketmq-client-nodejs';
import type { Logger } from '../../commands/logger-port';

/**
 * Routes the client's printf-style logging into the process logger instead of its default file under ~/logs. Its
 * info lines (routes, heartbeats) are noise at our level, so only warnings and errors pass.
 */
export const rocketMqLogger = (logger: Logger): ILogger => ({
  info: () => undefined,
  debug: () => undefined,
  warn: (...args: unknown[]) => {
    logger.warn({ component: 'rocketmq-client' }, format(...args));
  },
  error: (...args: unknown[]) => {
    logger.error({ component: 'rocketmq-client' }, format(...args));
  },
});
