import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Listening } from '../../infra/http/listen';

const DRAIN_MS = 5000;

/**
 * infra/http/listen.ts for a plain request listener (the write API puts its lean seckill path in front of express),
 * with the same keep-alive and drain behaviour.
 */
export const listenHandler = async (
  handler: RequestListener,
  port: number,
  host: string,
): Promise<Listening> => {
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
