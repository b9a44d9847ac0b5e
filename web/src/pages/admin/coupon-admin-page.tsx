import { useState } from 'preact/hooks';
import type { Coupon } from '../../api/types';
import { useApi } from '../../lib/app-context';
import { PhaseBadge, salePhase } from '../../components/coupon-badges';
import { ErrorMessage } from '../../components/error-message';
import { Field } from '../../components/field';
import { SaleWindowFields, type SaleWindowValues } from '../../components/sale-window-fields';
import { dateTime, isoToLocal, localToIso, money, numberOrText } from '../../lib/format';
import { useAction, useLoad, useNow, usePageTitle } from '../../lib/hooks';
import { LiveSale } from './live-sale';

/** One coupon for its admin: the live sale, and the changes an admin may make (stock, window, close, pause). */
export const CouponAdminPage = ({ couponId }: { couponId: string }) => {
  const api = useApi();
  const now = useNow(1000);
  // Read again now and then, so the badge and the changes on offer follow the sale (sold out, window opened).
  const coupon = useLoad(
    ({ signal, first }) => api.coupon(couponId, { fresh: first, signal }),
    `admin-coupon:${couponId}`,
    5000,
  );
  usePageTitle(coupon.data ? `${coupon.data.name}: live sale` : 'Live sale');

  return (
    <section>
      <p>
        <a href="/app/">← All coupons</a>
      </p>
      <ErrorMessage error={coupon.error} />
      {coupon.data && (
        <>
          <div class="page-head">
            <h1>{coupon.data.name}</h1>
            <PhaseBadge phase={salePhase(coupon.data, now)} />
          </div>
          <p class="muted">
            {coupon.data.couponType === 'SECKILL'
              ? `Sale ${dateTime(coupon.data.saleStartsAt)} – ${dateTime(coupon.data.saleEndsAt)}`
              : 'Regular coupon'}{' '}
            · {money(coupon.data.faceValueCents)} off · limit {coupon.data.perUserLimit} per buyer
          </p>
          <div class="columns">
            <LiveSale couponId={couponId} />
            <Changes coupon={coupon.data} now={now} onChanged={coupon.reload} />
          </div>
        </>
      )}
    </section>
  );
};

const Changes = ({ coupon, now, onChanged }: { coupon: Coupon; now: number; onChanged: () => void }) => {
  const api = useApi();
  const [quantity, setQuantity] = useState('');
  const [saleWindow, setSaleWindow] = useState<SaleWindowValues>({
    starts: isoToLocal(coupon.saleStartsAt),
    ends: isoToLocal(coupon.saleEndsAt),
  });
  const [confirmClose, setConfirmClose] = useState(false);
  const action = useAction();
  const busy = action.busy;
  const [done, setDone] = useState<string | null>(null);
  const fields = action.error?.fieldMessages() ?? {};
  const closed = coupon.status === 'CLOSED';

  /** Runs one change; answers whether it was made (then the page reads the coupon again, at its position). */
  const run = async (what: string, change: () => Promise<unknown>): Promise<boolean> => {
    setDone(null);
    const made = await action.run(change);
    if (made) {
      setDone(what);
      onChanged();
    }
    return made;
  };

  return (
    <section class="card" aria-labelledby="changes-title">
      <h2 id="changes-title">Changes</h2>
      <div role="status" aria-live="polite">
        {done && <p class="alert alert-success">{done}</p>}
      </div>
      <ErrorMessage error={action.error} />
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void run('Stock added.', () => api.addStock(coupon.couponId, numberOrText(quantity))).then(
            (made) => made && setQuantity(''),
          );
        }}
      >
        <Field id="quantity" label="Add stock (units)" error={fields.quantity}>
          {(props) => (
            <input
              {...props}
              inputMode="numeric"
              value={quantity}
              onInput={(e) => setQuantity(e.currentTarget.value)}
            />
          )}
        </Field>
        <button type="submit" disabled={busy || closed}>
          Add stock
        </button>
      </form>
      {coupon.couponType === 'SECKILL' && now < Date.parse(coupon.saleStartsAt) && (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void run('Sale window changed.', () =>
              api.changeWindow(
                coupon.couponId,
                localToIso(saleWindow.starts) ?? saleWindow.starts,
                localToIso(saleWindow.ends) ?? saleWindow.ends,
              ),
            );
          }}
        >
          <SaleWindowFields idPrefix="window-" values={saleWindow} errors={fields} onChange={setSaleWindow} />
          <button type="submit" disabled={busy || closed}>
            Change window
          </button>
        </form>
      )}
      <div class="actions">
        {coupon.status === 'ACTIVE' && (
          <button
            type="button"
            disabled={busy}
            onClick={() => void run('Sale paused.', () => api.couponAction(coupon.couponId, 'deactivate'))}
          >
            Pause sale
          </button>
        )}
        {coupon.status === 'INACTIVE' && (
          <button
            type="button"
            disabled={busy}
            onClick={() => void run('Sale resumed.', () => api.couponAction(coupon.couponId, 'reactivate'))}
          >
            Resume sale
          </button>
        )}
        {!closed && !confirmClose && (
          <button type="button" class="danger" disabled={busy} onClick={() => setConfirmClose(true)}>
            Close coupon…
          </button>
        )}
        {!closed && confirmClose && (
          <span role="group" aria-label="Confirm closing">
            Closing is final.{' '}
            <button
              type="button"
              class="danger"
              disabled={busy}
              onClick={() =>
                void run('Coupon closed.', () => api.couponAction(coupon.couponId, 'close')).then(() =>
                  setConfirmClose(false),
                )
              }
            >
              Close for good
            </button>{' '}
            <button type="button" onClick={() => setConfirmClose(false)}>
              Keep open
            </button>
          </span>
        )}
      </div>
    </section>
  );
};
