import { Redis } from 'ioredis';

/** Removes every key matching `pattern` (SCAN, then UNLINK), on a connection of its own: a run's or a test's keys. */
export const deleteKeysMatching = async (url: string, pattern: string): Promise<void> => {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
};
