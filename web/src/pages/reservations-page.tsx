import { ErrorMessage } from '../components/error-message';
import { PagedList } from '../components/paged-list';
import { useCouponNames } from '../components/use-coupon-names';
import { useCursorPages } from '../components/use-cursor-pages';
import { useApi } from '../lib/app-context';
import { dateTime, shortId } from '../lib/format';
import { useAction, useLoad, usePageTitle } from '../lib/hooks';

/** The buyer's reservations, newest first, with cancel while pending; read again while the page is open. */
export const ReservationsPage = () => {
  const api = useApi();
  const pages = useCursorPages();
  const action = useAction();
  usePageTitle('My reservations');
  const list = useLoad(() => api.reservations(pages.cursor), `reservations:${pages.cursor ?? ''}`, 3000);
  const names = useCouponNames(api, list.data?.items.map((r) => r.couponId) ?? []);

  return (
    <section>
      <h1>My reservations</h1>
      <ErrorMessage error={action.error ?? list.error} />
      {list.data?.items.length === 0 && <p>No reservations. Reserve an upcoming coupon from its page.</p>}
      <PagedList page={list.data} pages={pages}>
        {(r) => {
          const name = names.get(r.couponId) ?? `Coupon ${shortId(r.couponId)}`;
          return (
            <li key={r.reservationId} class="card row">
              <div>
                <strong>{name}</strong>{' '}
                <span class={`badge badge-${r.status.toLowerCase()}`}>{r.status.toLowerCase()}</span>
                <div class="muted">
                  Reserved {dateTime(r.reservedAt)}
                  {r.code && ` · ${r.code.toLowerCase().replace(/_/g, ' ')}`}
                  {r.orderId && ` · order ${shortId(r.orderId)}`}
                </div>
              </div>
              {r.status === 'PENDING' && (
                <button
                  type="button"
                  disabled={action.busy}
                  onClick={() =>
                    void action
                      .run(() => api.cancelReservation(r.reservationId))
                      .then((done) => done && list.reload())
                  }
                  aria-label={`Cancel reservation of ${name}`}
                >
                  Cancel
                </button>
              )}
            </li>
          );
        }}
      </PagedList>
    </section>
  );
};
