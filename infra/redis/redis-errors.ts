import { DependencyUnavailableError } from '../../commands/dependency-error';

/**
 * Error replies that say the server cannot serve now, not that the command was wrong (Redis documentation, "Redis
 * errors" and the replies of `maxmemory`, replication, persistence and cluster): out of memory under `noeviction`
 * (OOM), a replica or a demoted primary (READONLY), loading its dataset (LOADING), a script running too long (BUSY),
 * a primary link down (MASTERDOWN), too few replicas (NOREPLICAS), a failed RDB save refusing writes (MISCONF), a
 * cluster without quorum or mid-resharding (CLUSTERDOWN, TRYAGAIN). The first word of the reply is its code.
 */
const UNAVAILABLE_CODES = new Set([
  'OOM',
  'READONLY',
  'LOADING',
  'BUSY',
  'MASTERDOWN',
  'NOREPLICAS',
  'MISCONF',
  'CLUSTERDOWN',
  'TRYAGAIN',
]);

/**
 * True when `error` is an ioredis ReplyError of a server that is up but cannot serve now: an outage to its callers
 * (503, counted by the breaker), where any other error reply is a bug in the command or script sent.
 */
export const isServerUnavailableReply = (error: unknown): boolean =>
  error instanceof Error &&
  error.name === 'ReplyError' &&
  UNAVAILABLE_CODES.has(error.message.split(' ', 1)[0] ?? '');

/**
 * Runs one Redis call as its callers see it: a server down, unreachable or unable to serve now
 * (isServerUnavailableReply) becomes DependencyUnavailableError (503, counted by the breaker); any other reply error
 * is a bug in what was sent and is rethrown as it is.
 */
export const guardRedisCall = async <T>(call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Error && error.name === 'ReplyError' && !isServerUnavailableReply(error))
      throw error;
    throw new DependencyUnavailableError('redis', error);
  }
};
