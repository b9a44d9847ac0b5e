import { useState } from 'preact/hooks';
import { asApiError, type ApiError } from '../api/api-error';
import type { Notification } from '../api/types';
import { useApi } from '../app-context';
import { ErrorMessage } from '../components/error-message';
import { Pager } from '../components/pager';
import { useCursorPages } from '../components/use-cursor-pages';
import { dateTime } from '../format';
import { useLoad } from '../hooks';
import type { LiveNotifications } from '../notifications-live';

const TEXT: Record<string, (payload: Record<string, unknown>) => string> = {
  RESERVATION_SUCCEEDED: () => 'Your reservation bought the coupon.',
  RESERVATION_FAILED: (p) => `Your reservation could not buy: ${String(p.message ?? p.code)}.`,
  RESERVATION_CANCELLED: () => 'Your reservation was cancelled.',
  RESERVATION_EXPIRED: (p) =>
    `Your reservation expired (${String(p.reason).toLowerCase().replace(/_/g, ' ')}).`,
  ORDER_EXPIRING: (p) => `An order of yours stops being usable on ${dateTime(String(p.validUntil))}.`,
  ORDER_EXPIRED: () => 'An order of yours expired.',
};

const describe = (n: Notification): string => TEXT[n.kind]?.(n.payload) ?? n.kind;

/** The buyer's notifications, newest first; new ones arrive live, and reading marks them read. */
export const NotificationsPage = ({ live }: { live: LiveNotifications }) => {
  const api = useApi();
  const pages = useCursorPages();
  const [error, setError] = useState<ApiError | null>(null);
  const list = useLoad(
    () => api.notifications(pages.cursor),
    `notifications:${pages.cursor ?? ''}:${live.latest.length}`,
  );

  const mark = async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
      list.reload();
      live.refresh();
    } catch (failure) {
      setError(asApiError(failure));
    }
  };
  const newest = list.data?.items[0]?.cursor ?? null;

  return (
    <section>
      <div class="page-head">
        <h1>Notifications</h1>
        <button
          type="button"
          onClick={() => void mark(() => api.markAllRead(newest))}
          disabled={newest === null}
        >
          Mark all read
        </button>
      </div>
      <ErrorMessage error={error ?? list.error} />
      {list.data?.items.length === 0 && (
        <p>Nothing yet. Outcomes of your reservations and orders appear here.</p>
      )}
      <ul class="rows">
        {list.data?.items.map((n) => (
          <li key={n.notificationId} class={n.read ? 'card row' : 'card row unread'}>
            <div>
              {!n.read && <span class="badge badge-open">new</span>} {describe(n)}
              <div class="muted">{dateTime(n.createdAt)}</div>
            </div>
            {!n.read && (
              <button type="button" onClick={() => void mark(() => api.markRead(n.notificationId))}>
                Mark read
              </button>
            )}
          </li>
        ))}
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
