import { useApi, useSession } from '../lib/app-context';
import { ErrorMessage } from '../components/error-message';
import { PhaseBadge, salePhase, StockMeter } from '../components/coupon-badges';
import { Pager } from '../components/pager';
import { useCursorPages } from '../components/use-cursor-pages';
import { money } from '../lib/format';
import { useLoad, useNow, usePageTitle } from '../lib/hooks';

/** Stock moves fast on sale day: the list is read again every few seconds. */
const POLL_MS = 3000;

/** Every coupon, newest first, a page at a time, with live remaining stock. */
export const CouponsPage = () => {
  const api = useApi();
  const session = useSession();
  const pages = useCursorPages();
  const now = useNow(1000);
  usePageTitle('Coupons');
  const { data, error, loading } = useLoad(
    ({ signal }) => api.coupons(pages.cursor, 12, { signal }),
    `coupons:${pages.cursor ?? ''}`,
    POLL_MS,
  );

  return (
    <section>
      <div class="page-head">
        <h1>Coupons</h1>
        {session?.role === 'admin' && (
          <a class="button primary" href="/app/admin/coupons/new">
            New coupon
          </a>
        )}
      </div>
      <ErrorMessage error={error} />
      {loading && data === null && <p aria-busy="true">Loading…</p>}
      {data?.items.length === 0 && <p>No coupons yet.</p>}
      <ul class="coupon-grid">
        {data?.items.map((coupon) => (
          <li key={coupon.couponId} class="card coupon-card">
            <h2>
              <a href={`/app/coupons/${coupon.couponId}`}>{coupon.name}</a>
            </h2>
            <PhaseBadge phase={salePhase(coupon, now)} />
            <p class="value">{money(coupon.faceValueCents)} off</p>
            <StockMeter coupon={coupon} />
            {session?.role === 'admin' && (
              <a href={`/app/admin/coupons/${coupon.couponId}`}>Manage and watch the sale</a>
            )}
          </li>
        ))}
      </ul>
      {data && (
        <Pager
          page={pages.page}
          hasNext={data.nextCursor !== null}
          onPrevious={pages.previous}
          onNext={() => pages.next(data.nextCursor)}
        />
      )}
    </section>
  );
};
