import autocannon from 'autocannon';
import { JwtTokens } from '../../infra/auth/jwt-tokens';
import { BuyerMix } from './buyer-mix';
import type { LoadPlan, LoadResult } from './load-plan';

const ERROR_CODE = /"code":"([A-Z_]+)"/;

/**
 * A separate process that drives one HTTP target with autocannon, so the load generator never shares an event loop
 * with what it measures. Tokens are minted before the clock starts. Prints a LoadResult as JSON.
 */
const run = async (plan: LoadPlan): Promise<LoadResult> => {
  const tokens = new JwtTokens({ ...plan.jwt, ttlSeconds: 3600, clockSkewSeconds: 30 });
  const authorization = Array.from(
    { length: plan.buyers },
    (_, i) => `Bearer ${tokens.issue({ userId: `buyer-${i}`, role: 'user' }).token}`,
  );
  const mix = new BuyerMix(plan.buyers, plan.repeatShare);
  const outcomes: Record<string, number> = {};
  let accepted = 0;
  let firstAcceptMs = 0;
  let lastAcceptMs = 0;
  let responses = 0;
  // Tells the parent the timed part starts now (it accounts CPU from here).
  process.stdout.write('ready\n');
  const startedAtMs = Date.now();

  const result = await autocannon({
    url: plan.url,
    connections: plan.connections,
    pipelining: plan.pipelining,
    timeout: 10,
    ...(plan.amount === undefined ? { duration: plan.durationSeconds ?? 10 } : { amount: plan.amount }),
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const click = mix.next();
          const headers: Record<string, string> = { authorization: authorization[click.buyer] ?? '' };
          if (click.idempotencyKey !== null) headers['idempotency-key'] = click.idempotencyKey;
          return { ...request, headers };
        },
        onResponse: (status, body) => {
          responses += 1;
          let outcome = String(status);
          if (status === 201) {
            accepted += 1;
            lastAcceptMs = Date.now();
            if (firstAcceptMs === 0) firstAcceptMs = lastAcceptMs;
          } else if (status >= 300) {
            outcome = ERROR_CODE.exec(body)?.[1] ?? `HTTP_${status}`;
          }
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        },
      },
    ],
  });
  const { latency } = result;
  return {
    name: plan.name,
    responses,
    seconds: result.duration,
    requestsPerSecond: responses / result.duration,
    latency: { p50: latency.p50, p99: latency.p99, p99_9: latency.p99_9, max: latency.max },
    outcomes,
    transportErrors: result.errors,
    timeouts: result.timeouts,
    accepted,
    acceptWindowSeconds: accepted > 1 ? (lastAcceptMs - firstAcceptMs) / 1000 : result.duration,
    distinctBuyers: mix.distinctBuyers,
    startedAtMs,
    finishedAtMs: Date.now(),
  };
};

const plan = JSON.parse(process.argv[2] ?? '{}') as LoadPlan;
run(plan).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
