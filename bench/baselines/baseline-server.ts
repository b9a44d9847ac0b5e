import { JwtTokens } from '../../infra/auth/jwt-tokens';
import { bareHandler, expressHandler, serve } from './constant-servers';
import { naiveSeckillHandler, openNaiveSeckill } from './naive-seckill';

/**
 * One baseline HTTP server in its own process, like the CouponKill processes it is compared with:
 * `baseline-server.js bare|express|naive <port>`; the naive one reads BENCH_NAIVE_* and BENCH_JWT_* variables.
 */
const main = async (): Promise<void> => {
  const [kind, portText] = process.argv.slice(2);
  const port = Number(portText);
  switch (kind) {
    case 'bare':
      return serve(bareHandler, port);
    case 'express':
      return serve(expressHandler(), port);
    case 'naive': {
      const env = (name: string): string => {
        const value = process.env[name];
        if (!value) throw new Error(`${name} is required`);
        return value;
      };
      const pool = await openNaiveSeckill(
        env('BENCH_NAIVE_DATABASE_URL'),
        env('BENCH_NAIVE_COUPON_ID'),
        Number(env('BENCH_NAIVE_STOCK')),
        Number(env('BENCH_NAIVE_POOL_SIZE')),
      );
      const tokens = new JwtTokens({
        secret: env('BENCH_JWT_SECRET'),
        issuer: 'couponkill',
        audience: 'couponkill',
        ttlSeconds: 3600,
        clockSkewSeconds: 30,
      });
      return serve(naiveSeckillHandler(pool, tokens), port);
    }
    default:
      throw new Error(`unknown baseline ${String(kind)} (bare, express or naive)`);
  }
};

main().then(
  () => process.once('SIGTERM', () => process.exit(0)),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
