import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

const DRAIN_MS = 5000;

export interface Listening {
  readonly url: string;
  /** Stops accepting, finishes requests in flight, and drops idle keep-alive clients after the drain period. */
  close(): Promise<void>;
}

export const listen = async (app: Express, port: number, host: string): Promise<Listening> => {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.once('error', reject);
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
