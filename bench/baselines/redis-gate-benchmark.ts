import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { APPLY_COUPON, RESERVE } from '../../infra/redis/gate-scripts';

const run = promisify(execFile);

export interface GateBaseline {
  readonly unpipelined: number;
  readonly pipelined: number;
  readonly pipeline: number;
  readonly clients: number;
}

const CLIENTS = 50;
const PIPELINE = 16;

/**
 * Baseline 2: redis-benchmark running the gate's own reserve script (EVALSHA of gate-scripts.ts) on a coupon with
 * endless stock, a fresh random buyer and order each call: the full reserving path, the ceiling of the gate.
 */
export const measureGateScript = async (
  redisUrl: string,
  keyPrefix: string,
  requests: number,
): Promise<GateBaseline> => {
  const redis = new Redis(redisUrl);
  const base = `${keyPrefix}:{gate-baseline}`;
  const keys = ['meta', 'buyers', 'idem', 'pending', 'reservations'].map((k) => `${base}:${k}`);
  try {
    await redis.eval(APPLY_COUPON, 5, ...keys, '1', 1_000_000_000, 1, 0, 9_999_999_999_999, '0');
    const sha = String(await redis.script('LOAD', RESERVE));
    const { hostname, port } = new URL(redisUrl);
    const measure = async (pipeline: number): Promise<number> => {
      const args = ['-h', hostname, '-p', port || '6379', '-c', String(CLIENTS), '-n', String(requests)];
      args.push('-r', '1000000000', '-P', String(pipeline), '--csv');
      args.push('EVALSHA', sha, '5', ...keys, 'buyer-__rand_int__', 'order-__rand_int__');
      args.push(String(Date.now()), '');
      const { stdout } = await run('redis-benchmark', args, { maxBuffer: 1 << 20 });
      const rate = stdout
        .split('\n')
        .map((line) => Number(line.split(',')[1]?.replace(/"/g, '')))
        .find((n) => Number.isFinite(n) && n > 0);
      if (rate === undefined) throw new Error(`redis-benchmark printed no rate:\n${stdout}`);
      await redis.del(...keys.slice(1));
      await redis.hset(keys[0] ?? '', 'sold', 0);
      return rate;
    };
    const unpipelined = await measure(1);
    const pipelined = await measure(PIPELINE);
    return { unpipelined, pipelined, pipeline: PIPELINE, clients: CLIENTS };
  } finally {
    await redis.del(...keys);
    redis.disconnect();
  }
};
