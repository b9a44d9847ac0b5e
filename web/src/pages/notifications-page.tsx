import { useEffect, useRef } from 'preact/hooks';
import type { Notification } from '../api/types';
import { ErrorMessage } from '../components/error-message';
import { PagedList } from '../components/paged-list';
import { useCursorPages } from '../components/use-cursor-pages';
import { useApi } from '../lib/app-context';
import { dateTime } from '../lib/format';
import { useAction, useLoad, usePageTitle } from '../lib/hooks';
import { useLiveNotifications } from '../lib/notifications-live';

const TEXT: Record<string, (payload: Readonly<Record<string, unknown>>) => string> = {
  RESERVATION_SUCCEEDED: () => 'Your reservation bought the coupon.',
  RESERVATION_FAILED: (p) => `Your reservation could not buy: ${String(p.message ?? p.code)}.`,
  RESERVATION_CANCELLED: () => 'Your reservation was cancelled.',
  RESERVATION_EXPIRED: (p) =>
    `Your reservation expired (${String(p.reason).toLowerCase().replace(/_/g, ' ')}).`,
  ORDER_EXPIRING: (p) => `An order of yours stops being usable on ${dateTime(String(p.validUntil))}.`,
  ORDER_EXPIRED: () => 'An order of yours expired.',
};

const describe = (n: Notification): string => TEXT[n.kind]?.(n.payload) ?? n.kind;

/** The buyer's notifications, newest first; the list follows the live stream, and reading marks them read. */
export const NotificationsPage = () => {
  const api = useApi();
  const live = useLiveNotifications();
  const pages = useCursorPages();
  const action = useAction();
  usePageTitle('Notifications');
  const list = useLoad(() => api.notifications(pages.cursor), `notifications:${pages.cursor ?? ''}`);
  const { reload } = list;
  useEffect(() => {
    if (live.arrived > 0) reload();
  }, [live.arrived, reload]);
  // "Mark all read" marks up to the newest notification shown on the first page, never ones the buyer has not seen.
  const newest = useRef<string | null>(null);
  if (pages.page === 0 && list.data) newest.current = list.data.items[0]?.cursor ?? null;

  const mark = (work: () => Promise<unknown>) =>
    void action.run(work).then((done) => {
      if (!done) return;
      list.reload();
      live.refresh();
    });
  const upTo = newest.current;

  return (
    <section>
      <div class="page-head">
        <h1>Notifications</h1>
        <button
          type="button"
          onClick={() => upTo !== null && mark(() => api.markAllRead(upTo))}
          disabled={upTo === null || action.busy}
        >
          Mark all read
        </button>
      </div>
      <ErrorMessage error={action.error ?? list.error} />
      {list.data?.items.length === 0 && (
        <p>Nothing yet. Outcomes of your reservations and orders appear here.</p>
      )}
      <PagedList page={list.data} pages={pages}>
        {(n) => (
          <li key={n.notificationId} class={n.read ? 'card row' : 'card row unread'}>
            <div>
              {!n.read && <span class="badge badge-open">new</span>} {describe(n)}
              <div class="muted">{dateTime(n.createdAt)}</div>
            </div>
            {!n.read && (
              <button
                type="button"
                disabled={action.busy}
                onClick={() => mark(() => api.markRead(n.notificationId))}
              >
                Mark read
              </button>
            )}
          </li>
        )}
      </PagedList>
    </section>
  );
};
