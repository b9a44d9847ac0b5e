import { useState } from 'preact/hooks';
import type { Order, OrderStatus } from '../api/types';
import { ErrorMessage } from '../components/error-message';
import { PagedList } from '../components/paged-list';
import { useCouponNames } from '../components/use-coupon-names';
import { useCursorPages } from '../components/use-cursor-pages';
import { useApi } from '../lib/app-context';
import { dateTime, money, numberOrText, shortId } from '../lib/format';
import { useAction, useLoad, usePageTitle, type Action } from '../lib/hooks';

const STATUSES: readonly OrderStatus[] = ['PLACED', 'USED', 'CANCELLED', 'EXPIRED'];

/** The buyer's orders, newest first, filtered by status, with cancel and use. Reads wait for the buyer's writes. */
export const OrdersPage = () => {
  const api = useApi();
  const pages = useCursorPages();
  const [status, setStatus] = useState<OrderStatus | null>(null);
  const action = useAction();
  usePageTitle('My orders');
  const list = useLoad(
    () => api.orders(status, pages.cursor),
    `orders:${status ?? ''}:${pages.cursor ?? ''}`,
  );
  const names = useCouponNames(api, list.data?.items.map((o) => o.couponId) ?? []);
  const act = (work: () => Promise<unknown>) => void action.run(work).then((done) => done && list.reload());

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
      <ErrorMessage error={action.error ?? list.error} />
      {list.loading && list.data === null && <p aria-busy="true">Loading…</p>}
      {list.data?.items.length === 0 && <p>No orders{status ? ` ${status.toLowerCase()}` : ''}.</p>}
      <PagedList page={list.data} pages={pages}>
        {(order) => (
          <OrderRow
            key={order.orderId}
            order={order}
            name={names.get(order.couponId)}
            action={action}
            onCancel={() => act(() => api.cancelOrder(order.orderId))}
            onUse={(amount) => act(() => api.useOrder(order.orderId, amount))}
          />
        )}
      </PagedList>
    </section>
  );
};

const OrderRow = ({
  order,
  name,
  action,
  onCancel,
  onUse,
}: {
  order: Order;
  name: string | undefined;
  action: Action;
  onCancel: () => void;
  onUse: (amountCents: number | string | null) => void;
}) => {
  const [amount, setAmount] = useState('');
  const needsAmount = order.minSpendCents > 0;
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
            disabled={action.busy}
            onClick={() => onUse(needsAmount ? numberOrText(amount) : null)}
            aria-label={`Use ${label}`}
          >
            Use
          </button>
          <button type="button" disabled={action.busy} onClick={onCancel} aria-label={`Cancel ${label}`}>
            Cancel
          </button>
        </div>
      )}
    </li>
  );
};
