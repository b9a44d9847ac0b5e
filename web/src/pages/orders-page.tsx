import { useState } from 'preact/hooks';
import { asApiError, type ApiError } from '../api/api-error';
import type { Order, OrderStatus } from '../api/types';
import { useApi } from '../app-context';
import { ErrorMessage } from '../components/error-message';
import { Pager } from '../components/pager';
import { useCouponNames } from '../components/use-coupon-names';
import { useCursorPages } from '../components/use-cursor-pages';
import { dateTime, money, shortId } from '../format';
import { useLoad } from '../hooks';

const STATUSES: readonly OrderStatus[] = ['PLACED', 'USED', 'CANCELLED', 'EXPIRED'];

/** The buyer's orders, newest first, filtered by status, with cancel and use. Reads wait for the buyer's writes. */
export const OrdersPage = () => {
  const api = useApi();
  const pages = useCursorPages();
  const [status, setStatus] = useState<OrderStatus | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const list = useLoad(
    () => api.orders(status, pages.cursor),
    `orders:${status ?? ''}:${pages.cursor ?? ''}`,
  );
  const names = useCouponNames(api, list.data?.items.map((o) => o.couponId) ?? []);

  const act = async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
      list.reload();
    } catch (failure) {
      setError(asApiError(failure));
    }
  };

  return (
    <section>
      <h1>My orders</h1>
      <div class="toolbar">
        <label for="status-filter">Status</label>
        <select
          id="status-filter"
          value={status ?? ''}
          onChange={(e) => {
            setStatus((e.currentTarget.value || null) as OrderStatus | null);
            pages.reset();
          }}
        >
          <option value="">All</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.toLowerCase()}
            </option>
          ))}
        </select>
      </div>
      <ErrorMessage error={error ?? list.error} />
      {list.loading && list.data === null && <p aria-busy="true">Loading…</p>}
      {list.data?.items.length === 0 && <p>No orders{status ? ` ${status.toLowerCase()}` : ''}.</p>}
      <ul class="rows">
        {list.data?.items.map((order) => (
          <OrderRow
            key={order.orderId}
            order={order}
            name={names.get(order.couponId)}
            onCancel={() => act(() => api.cancelOrder(order.orderId))}
            onUse={(amount) => act(() => api.useOrder(order.orderId, amount))}
          />
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

const OrderRow = ({
  order,
  name,
  onCancel,
  onUse,
}: {
  order: Order;
  name: string | undefined;
  onCancel: () => Promise<void>;
  onUse: (amountCents: number | null) => Promise<void>;
}) => {
  const [busy, setBusy] = useState(false);
  const [amount, setAmount] = useState('');
  const needsAmount = order.minSpendCents > 0;
  const run = async (action: () => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    await action();
    setBusy(false);
  };
  const label = name ?? `Coupon ${shortId(order.couponId)}`;
  return (
    <li class="card row" data-testid="order" data-order-id={order.orderId}>
      <div>
        <strong>{label}</strong>
        <span class={`badge badge-${order.status.toLowerCase()}`} data-testid="order-status">
          {order.status.toLowerCase()}
        </span>
        <div class="muted">
          Order {shortId(order.orderId)} · placed {dateTime(order.placedAt)}
          {order.validUntil && ` · usable until ${dateTime(order.validUntil)}`}
        </div>
      </div>
      {order.status === 'PLACED' && (
        <div class="actions">
          {needsAmount && (
            <>
              <label for={`amount-${order.orderId}`}>
                Purchase (min {money(order.minSpendCents)}), cents
              </label>
              <input
                id={`amount-${order.orderId}`}
                inputMode="numeric"
                value={amount}
                onInput={(e) => setAmount(e.currentTarget.value)}
              />
            </>
          )}
          <button
            type="button"
            disabled={busy}
            onClick={() => void run(() => onUse(needsAmount ? Number(amount) : null))}
            aria-label={`Use ${label}`}
          >
            Use
          </button>
          <button
            type="button"
            disabled={busy}
            onClick={() => void run(onCancel)}
            aria-label={`Cancel ${label}`}
          >
            Cancel
          </button>
        </div>
      )}
    </li>
  );
};
