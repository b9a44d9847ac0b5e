import pino, { type Logger } from 'pino';

/** JSON logs written asynchronously (never a synchronous write on a request path), flushed on exit. */
export const createLogger = (level: string, name: string): Logger =>
  pino(
    { level, name, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ sync: false }),
  );

export type { Logger };
