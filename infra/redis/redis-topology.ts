import { Cluster, Redis, type ClusterOptions } from 'ioredis';
import type { RedisTopology } from '../config/config';
import { failFastOptions } from './redis-client';

/** A client of any topology: one server, a Sentinel-managed primary, or a Redis Cluster. */
export type AnyRedis = Redis | Cluster;

/**
 * A client of the topology. Sentinel: ioredis asks the Sentinels for the primary and follows a failover
 * (`+switch-master`; https://redis.io/docs/latest/develop/reference/sentinel-clients/). Cluster: every command goes
 * to the primary of its key's slot (`scaleReads: 'master'`; the gate must read what it wrote), and MOVED/ASK
 * redirections are followed. Not connected yet: call `connectTopology`.
 */
export const createTopologyClient = (topology: RedisTopology, commandTimeoutMs: number): AnyRedis => {
  switch (topology.mode) {
    case 'standalone':
      return new Redis(topology.url, failFastOptions(commandTimeoutMs));
    case 'sentinel':
      return new Redis({
        ...failFastOptions(commandTimeoutMs),
        sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })),
        name: topology.masterName,
        role: 'master',
        ...(topology.username ? { username: topology.username, sentinelUsername: topology.username } : {}),
        ...(topology.password ? { password: topology.password, sentinelPassword: topology.password } : {}),
        sentinelRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      });
    case 'cluster': {
      const options: ClusterOptions = {
        lazyConnect: true,
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        scaleReads: 'master',
        maxRedirections: 16,
        clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
        redisOptions: {
          ...failFastOptions(commandTimeoutMs),
          ...(topology.username ? { username: topology.username } : {}),
          ...(topology.password ? { password: topology.password } : {}),
        },
      };
      return new Cluster(
        topology.nodes.map(({ host, port }) => ({ host, port })),
        options,
      );
    }
  }
};

/** One line naming the topology for logs and errors: `standalone redis://127.0.0.1:6379`, never a password. */
export const describeTopology = (topology: RedisTopology): string => {
  switch (topology.mode) {
    case 'standalone': {
      const url = new URL(topology.url);
      url.password = '';
      url.username = '';
      return `standalone ${url.toString()}`;
    }
    case 'sentinel':
      return `sentinel ${topology.masterName}@${topology.sentinels.map((s) => `${s.host}:${String(s.port)}`).join(',')}`;
    case 'cluster':
      return `cluster ${topology.nodes.map((n) => `${n.host}:${String(n.port)}`).join(',')}`;
  }
};

/** Two topologies name the same Redis (the same servers in the same mode). */
export const sameTopology = (a: RedisTopology, b: RedisTopology): boolean =>
  JSON.stringify(a) === JSON.stringify(b);

/**
 * Connects and checks that the topology can serve the gate: it answers PING, it takes a write and reads it back on a
 * primary (ROLE), and a cluster says `cluster_state:ok` (every slot served). Rejects with the reason, within
 * `timeoutMs`.
 */
export const connectTopology = async (
  client: AnyRedis,
  probeKey: string,
  timeoutMs: number,
): Promise<void> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${String(timeoutMs)} ms`)), timeoutMs);
  });
  let lastError: unknown = null;
  const remember = (error: unknown) => (lastError = error);
  client.on('error', remember);
  const check = async () => {
    if (client.status === 'wait') await client.connect();
    await client.ping();
    if (client instanceof Cluster) {
      const info = await client.cluster('INFO');
      if (!/cluster_state:ok/.test(info))
        throw new Error('the cluster does not serve every slot (cluster_state is not ok)');
    } else {
      const [role] = (await client.call('ROLE')) as [string];
      if (role !== 'master') throw new Error(`the server is a ${role}, not a primary`);
    }
    const token = String(Date.now());
    await client.set(probeKey, token, 'PX', 10_000);
    if ((await client.get(probeKey)) !== token) throw new Error('a probe write did not read back');
  };
  try {
    await Promise.race([check(), deadline]);
  } catch (error) {
    const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
    throw new Error(`${error instanceof Error ? error.message : String(error)}${cause}`, { cause: error });
  } finally {
    clearTimeout(timer);
    client.off('error', remember);
  }
};

/** Closes a client, gracefully when it is connected. */
export const closeClient = async (client: AnyRedis): Promise<void> => {
  if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
};

/** Every primary of the topology, to run a SCAN on each (a cluster's keys are spread over its primaries). */
export const primariesOf = (client: AnyRedis): Redis[] =>
  client instanceof Cluster ? client.nodes('master') : [client];
