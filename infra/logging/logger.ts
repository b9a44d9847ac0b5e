import pino, { type Logger } from 'pino';

/**
 * JSON logs written asynchronously (never a synchronous write on a request path), flushed on exit. Servers log to
 * stdout (fd 1); CLI tasks to stderr (fd 2), so their stdout holds only their answer.
 */
export const createLogger = (level: string, name: string, fd: 1 | 2 = 1): Logger =>
  pino(
    { level, name, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: fd, sync: false }),
  );

export type { Logger };
