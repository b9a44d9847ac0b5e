import { useRef } from 'preact/hooks';
import type { Coupon, ProjectionLagReport, SaleStats } from '../../api/types';
import { useApi } from '../../app-context';
import { ErrorMessage } from '../../components/error-message';
import { useLoad } from '../../hooks';

const POLL_MS = 1000;
/** Seconds of history in the accepted-per-second chart. */
const HISTORY = 30;

interface Sample {
  readonly coupon: Coupon;
  readonly stats: SaleStats;
  readonly lag: ProjectionLagReport;
}

const accepted = (stats: SaleStats): number => stats.outcomes.PLACED ?? 0;

/**
 * The sale as it happens, every second: sold and remaining (read-api's coupon), accepted per second and every refusal
 * code (write-api's sale stats, summed over its replicas), and how far the read models are behind the event store.
 */
export const LiveSale = ({ couponId }: { couponId: string }) => {
  const api = useApi();
  const previous = useRef<{ placed: number; at: number } | null>(null);
  const rates = useRef<number[]>([]);
  const { data, error } = useLoad<Sample>(
    async (signal) => {
      const [coupon, stats, lag] = await Promise.all([
        api.coupon(couponId, { fresh: true, signal }),
        api.saleStats(couponId, signal),
        api.lag(signal),
      ]);
      const at = Date.parse(stats.asOf);
      const last = previous.current;
      if (last !== null && at > last.at) {
        rates.current = [...rates.current, ((accepted(stats) - last.placed) * 1000) / (at - last.at)].slice(
          -HISTORY,
        );
      }
      previous.current = { placed: accepted(stats), at };
      return { coupon, stats, lag };
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
              <dt>Accepted in all</dt>
              <dd data-testid="accepted">{accepted(data.stats)}</dd>
            </div>
            <div>
              <dt>Projection lag (events)</dt>
              <dd data-testid="lag">{data.lag.maxLag}</dd>
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
              Accepted per second, last {HISTORY} s (peak {peak.toFixed(0)})
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
            Figures as of {new Date(data.stats.asOf).toLocaleTimeString()}; attempts are summed over every
            write-api replica within a second.
          </p>
        </>
      )}
    </section>
  );
};
