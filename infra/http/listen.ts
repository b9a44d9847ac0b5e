import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const DRAIN_MS = 5000;
/** Node's own default, used where the kernel's limit cannot be read. */
const NODE_DEFAULT_BACKLOG = 511;

export interface Listening {
  readonly url: string;
  /**
   * Keeps serving, but answers every request from now on with `Connection: close`, so keep-alive clients (proxies'
   * pools, kube-proxy's conntrack entries) reconnect, and land on another pod, before the listener closes.
   */
  drain(): void;
  /** Stops accepting, finishes requests in flight, and drops idle keep-alive clients after the drain period. */
  close(): Promise<void>;
}

export interface ListenOptions {
  readonly port: number;
  readonly host: string;
  /**
   * Pending connections the kernel queues before accept(2). The kernel caps it at `net.core.somaxconn`
   * (listen(2)); Node's 511 overflows at a sale's opening second, when thousands of buyers connect at once.
   */
  readonly backlog?: number;
}

/** The kernel's cap on a listen backlog (`/proc/sys/net/core/somaxconn`, Linux), or Node's default elsewhere. */
export const kernelBacklogLimit = (): number => {
  try {
    const value = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
    return Number.isInteger(value) && value > 0
      ? Math.max(value, NODE_DEFAULT_BACKLOG)
      : NODE_DEFAULT_BACKLOG;
  } catch {
    return NODE_DEFAULT_BACKLOG;
  }
};

/** Serves a request listener: an express app, or the write API's lean seckill path in front of one. */
export const listen = async (
  handler: RequestListener,
  { port, host, backlog = kernelBacklogLimit() }: ListenOptions,
): Promise<Listening> => {
  let draining = false;
  // Before the handler runs: a handler that answers synchronously has sent its headers when it returns.
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (draining) response.shouldKeepAlive = false;
    handler(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.keepAliveTimeout = 65_000;
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${bound}`,
    drain: () => {
      draining = true;
    },
    close: async () => {
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const forced = setTimeout(() => server.closeAllConnections(), DRAIN_MS).unref();
      await drained;
      clearTimeout(forced);
    },
  };
};
