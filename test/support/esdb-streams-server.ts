import { Server, ServerCredentials } from '@grpc/grpc-js';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { InMemoryLog } from './esdb/in-memory-log';
import { InProcessStreamsService } from './esdb/streams-service';

export interface InProcessEventStoreDb {
  /** For `EventStoreDBClient.connectionString`: direct (no gossip), plaintext. */
  readonly connectionString: string;
  /**
   * Simulates a server failure: live subscriptions end with UNAVAILABLE and every connection is cut; the server
   * then listens again on the same port with the same data, as a restarted node would.
   */
  dropAllConnections(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * An in-process EventStoreDB for tests: the package's generated Streams service definition served by grpc-js over
 * an in-memory log, on 127.0.0.1 and a free port. It implements the protocol semantics the event-store contract
 * suite checks (appends with expected revisions and idempotent retries, stream and $all reads, filtered catch-up
 * subscriptions); nothing else (no ServerFeatures, gossip, persistent subscriptions, deletes or security).
 */
export const startInProcessEventStoreDb = async (): Promise<InProcessEventStoreDb> => {
  const service = new InProcessStreamsService(new InMemoryLog());
  let server = new Server();
  server.addService(StreamsService, service.implementation);
  const port = await bind(server, '127.0.0.1:0');
  return {
    connectionString: `esdb://127.0.0.1:${port}?tls=false`,
    dropAllConnections: async () => {
      service.dropSubscriptions();
      server.forceShutdown();
      server = new Server();
      server.addService(StreamsService, service.implementation);
      await bind(server, `127.0.0.1:${port}`);
    },
    stop: async () => {
      service.dropSubscriptions();
      server.forceShutdown();
      await Promise.resolve();
    },
  };
};

const bind = (server: Server, address: string): Promise<number> =>
  new Promise((resolve, reject) =>
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );
