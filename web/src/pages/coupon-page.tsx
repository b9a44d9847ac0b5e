import { useEffect, useRef, useState } from 'preact/hooks';
import { asApiError } from '../api/api-error';
import type { Coupon } from '../api/types';
import { PhaseBadge, salePhase, StockMeter } from '../components/coupon-badges';
import { ErrorMessage } from '../components/error-message';
import { useApi, useSession } from '../lib/app-context';
import { countdown, dateTime, money } from '../lib/format';
import { useAction, useLoad, useNow, usePageTitle } from '../lib/hooks';
import { refusalOutcome, type Outcome } from '../lib/outcome';

const POLL_MS = 2000;

/**
 * An idempotency key per purchase intent: 128 random bits as hex. getRandomValues works on plain-HTTP origins too,
 * where crypto.randomUUID does not exist (it needs a secure context).
 */
const newKey = (): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join(
    '',
  );

/** True from `atMs` (the server's epoch ms) on, flipping at that instant rather than at the next tick of a clock. */
const useReached = (atMs: number | null): boolean => {
  const api = useApi();
  const [reached, setReached] = useState(atMs !== null && api.clock.now() >= atMs);
  useEffect(() => {
    if (atMs === null) return;
    const wait = atMs - api.clock.now();
    setReached(wait <= 0);
    if (wait <= 0) return;
    const timer = setTimeout(() => setReached(true), Math.min(wait, 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [api, atMs]);
  return reached;
};

/** One coupon: its terms, a countdown to its window, the buy button and what came of the click. */
export const CouponPage = ({ couponId }: { couponId: string }) => {
  const api = useApi();
  const session = useSession();
  const now = useNow(250);
  // The first read waits for the buyer's newest write (a cancel elsewhere shows its stock back); polls need not.
  const { data: coupon, error } = useLoad(
    ({ signal, first }) => api.coupon(couponId, { fresh: first, signal }),
    `coupon:${couponId}`,
    POLL_MS,
  );
  const opens = useReached(coupon ? Date.parse(coupon.saleStartsAt) : null);
  usePageTitle(coupon?.name ?? 'Coupon');

  return (
    <section>
      <p>
        <a href="/app/">← All coupons</a>
      </p>
      <ErrorMessage error={error} />
      {coupon === null && error === null && <p aria-busy="true">Loading…</p>}
      {coupon && (
        <article class="card">
          <div class="page-head">
            <h1>{coupon.name}</h1>
            <PhaseBadge phase={salePhase(coupon, now)} />
          </div>
          {coupon.description && <p>{coupon.description}</p>}
          <dl class="terms">
            <dt>Value</dt>
            <dd>{money(coupon.faceValueCents)} off</dd>
            {coupon.minSpendCents > 0 && (
              <>
                <dt>Minimum spend</dt>
                <dd>{money(coupon.minSpendCents)}</dd>
              </>
            )}
            <dt>Per buyer</dt>
            <dd>{coupon.perUserLimit}</dd>
            {coupon.couponType === 'SECKILL' && (
              <>
                <dt>Sale</dt>
                <dd>
                  {dateTime(coupon.saleStartsAt)} – {dateTime(coupon.saleEndsAt)}
                </dd>
              </>
            )}
            <dt>Usable</dt>
            <dd>
              {coupon.validUntil
                ? `until ${dateTime(coupon.validUntil)}`
                : coupon.validDays
                  ? `${coupon.validDays} days after purchase`
                  : 'for ever'}
            </dd>
          </dl>
          <StockMeter coupon={coupon} />
          {session?.role === 'admin' ? (
            <p>
              <a href={`/app/admin/coupons/${coupon.couponId}`}>Manage and watch the sale</a>
            </p>
          ) : (
            <BuyPanel coupon={coupon} opens={opens} now={now} />
          )}
        </article>
      )}
    </section>
  );
};

const BuyPanel = ({ coupon, opens, now }: { coupon: Coupon; opens: boolean; now: number }) => {
  const api = useApi();
  // useAction's guard: a second click before the first is answered sends nothing (the button changes on the next render).
  const action = useAction();
  const busy = action.busy;
  const [outcome, setOutcome] = useState<(Outcome & { orderId?: string }) | null>(null);
  const key = useRef<string | null>(null);
  const phase = salePhase(coupon, now);
  // Sold out as the read model shows it: a cancellation may bring stock back, and the next poll enables the button.
  const closed = phase === 'closed' || phase === 'inactive' || phase === 'ended' || phase === 'sold-out';
  const startsIn = Date.parse(coupon.saleStartsAt) - now;

  const buy = () =>
    action.run(async () => {
      if (!opens || closed) return;
      const intent = (key.current ??= newKey());
      try {
        const { order, replayed } = await api.buy(coupon, intent);
        setOutcome({
          tone: 'success',
          title: 'You got it!',
          text: replayed ? 'Your order was already placed.' : 'Your order is placed.',
          settled: true,
          orderId: order.orderId,
        });
        key.current = null;
      } catch (error) {
        const refusal = refusalOutcome(asApiError(error));
        setOutcome(refusal);
        // Only a settled answer ends the intent; after anything else the next click asks about the same purchase.
        if (refusal.settled) key.current = null;
      }
    });

  return (
    <div class="buy">
      {coupon.couponType === 'SECKILL' && !opens && (
        <p class="countdown" id="countdown">
          Opens in <strong data-testid="countdown">{countdown(startsIn)}</strong>
        </p>
      )}
      {/* Busy is aria-disabled, not disabled, so the focused button keeps keyboard focus while it buys. */}
      <button
        type="button"
        class="primary big"
        onClick={() => void buy()}
        disabled={!opens || closed}
        aria-disabled={busy}
        aria-describedby={!opens ? 'countdown' : undefined}
      >
        {busy
          ? 'Buying…'
          : phase === 'sold-out'
            ? 'Sold out'
            : coupon.couponType === 'REGULAR'
              ? 'Claim'
              : 'Buy now'}
      </button>
      {coupon.couponType === 'SECKILL' && !opens && <ReserveButton couponId={coupon.couponId} />}
      <div role="status" aria-live="polite" class="outcome-region">
        {outcome && (
          <div class={`alert alert-${outcome.tone}`} data-testid="outcome">
            <strong>{outcome.title}</strong> {outcome.text}{' '}
            {outcome.orderId && <a href="/app/orders">See my orders</a>}
          </div>
        )}
      </div>
    </div>
  );
};

/** Reserve before the window: the firer buys for reservations first when it opens (README, "Reservations"). */
const ReserveButton = ({ couponId }: { couponId: string }) => {
  const api = useApi();
  const action = useAction();
  const [reserved, setReserved] = useState(false);
  return (
    <>
      <button
        type="button"
        onClick={() => void action.run(() => api.reserve(couponId)).then((done) => done && setReserved(true))}
        disabled={action.busy}
      >
        Reserve
      </button>
      {reserved && (
        <p class="alert alert-success" role="status">
          Reserved: we will buy for you when the sale opens. <a href="/app/reservations">My reservations</a>
        </p>
      )}
      <ErrorMessage error={action.error} />
    </>
  );
};
