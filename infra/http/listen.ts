import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

const DRAIN_MS = 5000;

export interface Listening {
  readonly url: string;
  /** Stops accepting, finishes requests in flight, and drops idle keep-alive clients after the drain period. */
  close(): Promise<void>;
}

/** Serves a request listener: an express app, or the write API's lean seckill path in front of one. */
export const listen = async (handler: RequestListener, port: number, host: string): Promise<Listening> => {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.keepAliveTimeout = 65_000;
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}`,
    close: async () => {
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const forced = setTimeout(() => server.closeAllConnections(), DRAIN_MS).unref();
      await drained;
      clearTimeout(forced);
    },
  };
};
