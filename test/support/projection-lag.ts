import { request } from './http-client';

/**
 * Polls the read API's `GET /api/v1/projections/lag` every 100 ms until `maxLag` is 0; throws with the last answer
 * after `attempts` polls (600: a minute and more, generous for two cores shared by MariaDB, Redis and RocketMQ).
 */
export const waitForZeroLag = async (readUrl: string, attempts = 600): Promise<void> => {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    const lag = await request(readUrl, 'GET', '/api/v1/projections/lag');
    if (lag.status === 200 && lag.body.maxLag === 0) return;
    last = lag.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`projections did not catch up: ${JSON.stringify(last)}`);
};
