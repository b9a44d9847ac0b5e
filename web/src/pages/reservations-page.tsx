import { useState } from 'preact/hooks';
import { asApiError, type ApiError } from '../api/api-error';
import { useApi } from '../app-context';
import { ErrorMessage } from '../components/error-message';
import { Pager } from '../components/pager';
import { useCouponNames } from '../components/use-coupon-names';
import { useCursorPages } from '../components/use-cursor-pages';
import { dateTime, shortId } from '../format';
import { useLoad } from '../hooks';

/** The buyer's reservations, newest first, with cancel while pending. Watched while any is pending or firing. */
export const ReservationsPage = () => {
  const api = useApi();
  const pages = useCursorPages();
  const [error, setError] = useState<ApiError | null>(null);
  const list = useLoad(() => api.reservations(pages.cursor), `reservations:${pages.cursor ?? ''}`, 3000);
  const names = useCouponNames(api, list.data?.items.map((r) => r.couponId) ?? []);

  const cancel = async (reservationId: string) => {
    setError(null);
    try {
      await api.cancelReservation(reservationId);
      list.reload();
    } catch (failure) {
      setError(asApiError(failure));
    }
  };

  return (
    <section>
      <h1>My reservations</h1>
      <ErrorMessage error={error ?? list.error} />
      {list.data?.items.length === 0 && <p>No reservations. Reserve an upcoming coupon from its page.</p>}
      <ul class="rows">
        {list.data?.items.map((r) => {
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
                  onClick={() => void cancel(r.reservationId)}
                  aria-label={`Cancel reservation of ${name}`}
                >
                  Cancel
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {list.data && (
        <Pager
          page={pages.page}
          hasNext={list.data.nextCursor !== null}
          onPrevious={pages.previous}
          onNext={() => pages.next(list.data?.nextCursor ?? null)}
        />
      )}
    </section>
  );
};
