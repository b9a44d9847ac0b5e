import { createServer } from 'node:net';
import type { EventStore } from '../../../commands/event-store-port';
import { EventStoreDbEventStore } from '../../../infra/eventstoredb/eventstoredb-event-store';
import { migrateEventStore } from '../../../infra/mysql/event-store-schema';
import { MySqlEventStore } from '../../../infra/mysql/mysql-event-store';
import { createMySqlPool, ensureDatabase } from '../../../infra/mysql/mysql-pool';
import { startInProcessEventStoreDb } from '../esdb-streams-server';
import { InMemoryEventStore } from '../in-memory/in-memory-event-store';
import { createTestEnv } from '../test-env';

/** One adapter of the EventStore port, opened for the contract suite. */
export interface StoreUnderTest {
  readonly store: EventStore;
  /**
   * A second store on the same data whose connection the test can kill (a dropped server, a closed pool), to
   * prove a subscription fails loudly; null when the adapter cannot be interrupted from a test.
   */
  readonly openInterruptible: (() => Promise<{ store: EventStore; interrupt: () => Promise<void> }>) | null;
  /** The same adapter pointed at a port where nothing listens. */
  readonly openUnreachable: () => Promise<EventStore>;
  close(): Promise<void>;
}

export interface AdapterFactory {
  readonly name: string;
  readonly interruptible: boolean;
  /**
   * Whether an append past its `deadlineMs` is guaranteed not to be stored (AppendOptions): the MySQL store checks
   * the deadline under its head lock; EventStoreDB gets it as the call's gRPC deadline, which bounds the client's wait
   * but not the server's commit, so it may store it all the same.
   */
  readonly deadlineStoresNothing: boolean;
  open(): Promise<StoreUnderTest>;
}

/** A local port with nothing listening on it: bound by the OS, then released. */
export const closedPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

const openMySqlStore = (url: string) => {
  const pool = createMySqlPool({ url, connectionLimit: 4, lockWaitTimeoutSeconds: 30 });
  return { pool, store: new MySqlEventStore(pool, { maxBatchAppends: 100 }) };
};

export const mySqlAdapter: AdapterFactory = {
  name: 'MySQL event store',
  interruptible: true,
  deadlineStoresNothing: true,
  open: async () => {
    const env = createTestEnv();
    const url = env.config.eventStore.url;
    await ensureDatabase(url);
    const { pool, store } = openMySqlStore(url);
    await migrateEventStore(pool);
    const others: EventStore[] = [];
    return {
      store,
      openInterruptible: () => {
        const other = openMySqlStore(url);
        return Promise.resolve({ store: other.store, interrupt: () => other.pool.end() });
      },
      openUnreachable: async () => {
        const unreachable = new URL(url);
        unreachable.port = String(await closedPort());
        const other = openMySqlStore(unreachable.toString()).store;
        others.push(other);
        return other;
      },
      close: async () => {
        await Promise.allSettled([store.close(), ...others.map((o) => o.close())]);
        await env.cleanup();
      },
    };
  },
};

const esdbStores = () => {
  const opened: EventStore[] = [];
  const open = (connectionString: string): EventStore => {
    const store = new EventStoreDbEventStore({ connectionString, readPageSize: 50 });
    opened.push(store);
    return store;
  };
  const closeAll = () => Promise.allSettled(opened.map((store) => store.close()));
  return { open, closeAll };
};

const unreachableEsdb = async (open: (connectionString: string) => EventStore): Promise<EventStore> =>
  open(`esdb://127.0.0.1:${await closedPort()}?tls=false`);

export const inProcessEsdbAdapter: AdapterFactory = {
  name: 'EventStoreDB adapter against the in-process EventStoreDB',
  interruptible: true,
  deadlineStoresNothing: false,
  open: async () => {
    const server = await startInProcessEventStoreDb();
    const stores = esdbStores();
    return {
      store: stores.open(server.connectionString),
      openInterruptible: () =>
        Promise.resolve({
          store: stores.open(server.connectionString),
          interrupt: () => server.dropAllConnections(),
        }),
      openUnreachable: () => unreachableEsdb(stores.open),
      close: async () => {
        await stores.closeAll();
        await server.stop();
      },
    };
  },
};

/** A real server can be neither restarted nor cut off from a test, so its subscriptions are not interrupted. */
export const realEsdbAdapter = (connectionString: string): AdapterFactory => ({
  name: 'EventStoreDB adapter against the real EventStoreDB at ESDB_CONNECTION_STRING',
  interruptible: false,
  deadlineStoresNothing: false,
  open: () => {
    const stores = esdbStores();
    return Promise.resolve({
      store: stores.open(connectionString),
      openInterruptible: null,
      openUnreachable: () => unreachableEsdb(stores.open),
      close: async () => {
        await stores.closeAll();
      },
    });
  },
});

/**
 * The in-memory store the unit specs use (test/support/in-memory): interrupted by cutting one client off, unreachable
 * by a switch.
 */
export const inMemoryAdapter: AdapterFactory = {
  name: 'in-memory event store',
  interruptible: true,
  deadlineStoresNothing: true,
  open: () => {
    const store = new InMemoryEventStore();
    const others: EventStore[] = [];
    return Promise.resolve({
      store,
      openInterruptible: () => {
        const other = store.connect();
        others.push(other);
        return Promise.resolve({
          store: other,
          interrupt: () => {
            other.disconnect();
            return Promise.resolve();
          },
        });
      },
      openUnreachable: () => Promise.resolve(InMemoryEventStore.unreachable()),
      close: async () => {
        await Promise.allSettled([store.close(), ...others.map((o) => o.close())]);
      },
    });
  },
};
