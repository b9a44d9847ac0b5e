import { useRef } from 'preact/hooks';
import type { Coupon, ProjectionLagReport, SaleStats } from '../../api/types';
import { ErrorMessage } from '../../components/error-message';
import { useApi } from '../../lib/app-context';
import { useLoad } from '../../lib/hooks';

const POLL_MS = 1000;
/** Seconds of history in the accepted-per-second chart. */
const HISTORY = 30;
/** Readings the rate is taken over: replicas' unflushed counts make single readings jitter. */
const RATE_WINDOW = 5;

interface Sample {
  readonly coupon: Coupon;
  readonly stats: SaleStats;
  /** Null when the lag report is not reachable: behind the chart's Istio gateway it is ops data, denied from outside. */
  readonly lag: ProjectionLagReport | null;
}

/**
 * The sale as it happens, every second: sold and remaining (read-api's coupon), purchases accepted over HTTP per second
 * and every refusal code (write-api's sale stats, summed over its replicas), and how far the read models are behind.
 * A reading is each replica's stored counts plus the answering replica's unflushed ones, so two readings from two
 * replicas may go down; the accepted count shown only rises, and the rate is over the last few readings, timed here.
 */
export const LiveSale = ({ couponId }: { couponId: string }) => {
  const api = useApi();
  const readings = useRef<{ placed: number; at: number }[]>([]);
  const rates = useRef<number[]>([]);
  const { data, error } = useLoad<Sample>(
    async ({ signal }) => {
      const [coupon, stats, lag] = await Promise.all([
        api.coupon(couponId, { signal }),
        api.saleStats(couponId, signal),
        api.lag(signal).catch(() => null),
      ]);
      const placed = Math.max(stats.outcomes.PLACED ?? 0, readings.current.at(-1)?.placed ?? 0);
      readings.current = [...readings.current, { placed, at: performance.now() }].slice(-RATE_WINDOW);
      const oldest = readings.current[0];
      if (oldest !== undefined && readings.current.length > 1) {
        const seconds = (performance.now() - oldest.at) / 1000;
        rates.current = [...rates.current, (placed - oldest.placed) / seconds].slice(-HISTORY);
      }
      return { coupon, stats: { ...stats, outcomes: { ...stats.outcomes, PLACED: placed } }, lag };
    },
    `live:${couponId}`,
    POLL_MS,
  );

  const rate = rates.current.at(-1) ?? 0;
  const refusals = data
    ? Object.entries(data.stats.outcomes)
        .filter(([code]) => code !== 'PLACED' && code !== 'REPLAYED')
        .sort(([, a], [, b]) => b - a)
    : [];
  const peak = Math.max(1, ...rates.current);

  return (
    <section class="card" aria-labelledby="live-title">
      <h2 id="live-title">Live sale</h2>
      <ErrorMessage error={error} />
      {data && (
        <>
          <dl class="figures" data-testid="live-figures">
            <div>
              <dt>Sold</dt>
              <dd data-testid="sold">{data.coupon.sold}</dd>
            </div>
            <div>
              <dt>Remaining</dt>
              <dd data-testid="live-remaining">{data.coupon.remaining}</dd>
            </div>
            <div>
              <dt>Accepted / s</dt>
              <dd data-testid="accepted-rate">{rate.toFixed(1)}</dd>
            </div>
            <div>
              <dt>Accepted over HTTP</dt>
              <dd data-testid="accepted">{data.stats.outcomes.PLACED ?? 0}</dd>
            </div>
            <div>
              <dt>Projection lag (events)</dt>
              <dd data-testid="lag">{data.lag === null ? 'n/a' : data.lag.maxLag}</dd>
            </div>
          </dl>
          <figure class="chart">
            <svg
              viewBox={`0 0 ${HISTORY * 10} 60`}
              role="img"
              aria-label={`Accepted per second, last ${HISTORY} seconds`}
            >
              {rates.current.map((r, i) => {
                const h = Math.max(1, (r / peak) * 58);
                return <rect key={i} x={i * 10 + 1} y={60 - h} width={8} height={h} />;
              })}
            </svg>
            <figcaption>
              Accepted per second over HTTP, last {HISTORY} s (peak {peak.toFixed(0)})
            </figcaption>
          </figure>
          <h3>Refusals</h3>
          {refusals.length === 0 ? (
            <p>None yet.</p>
          ) : (
            <table data-testid="refusals">
              <thead>
                <tr>
                  <th scope="col">Code</th>
                  <th scope="col">Count</th>
                </tr>
              </thead>
              <tbody>
                {refusals.map(([code, count]) => (
                  <tr key={code}>
                    <td>{code}</td>
                    <td>{count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p class="muted">
            Figures as of {new Date(data.stats.asOf).toLocaleTimeString()}. Attempts over HTTP are summed over
            every write-api replica within a second; units the reservation firer buys count in Sold only.
          </p>
        </>
      )}
    </section>
  );
};
