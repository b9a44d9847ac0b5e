import { useEffect, useRef, useState } from 'preact/hooks';
import { asApiError } from '../api/api-error';
import type { Coupon } from '../api/types';
import { useApi, useSession } from '../app-context';
import { PhaseBadge, salePhase, StockMeter } from '../components/coupon-badges';
import { ErrorMessage } from '../components/error-message';
import { countdown, dateTime, money } from '../format';
import { useLoad, useNow } from '../hooks';
import { refusalOutcome, type Outcome } from '../outcome';

const POLL_MS = 2000;

/**
 * An idempotency key per purchase intent: 128 random bits as hex. getRandomValues works on plain-HTTP origins too,
 * where crypto.randomUUID does not exist (it needs a secure context).
 */
const newKey = (): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join(
    '',
  );

/** True from `atMs` (epoch ms) on, flipping at that instant rather than at the next tick of a clock. */
const useReached = (atMs: number | null): boolean => {
  const [reached, setReached] = useState(atMs !== null && Date.now() >= atMs);
  useEffect(() => {
    if (atMs === null) return;
    const wait = atMs - Date.now();
    setReached(wait <= 0);
    if (wait <= 0) return;
    const timer = setTimeout(() => setReached(true), Math.min(wait, 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [atMs]);
  return reached;
};

/** One coupon: its terms, a countdown to its window, the buy button and what came of the click. */
export const CouponPage = ({ couponId }: { couponId: string }) => {
  const api = useApi();
  const session = useSession();
  const now = useNow(250);
  const { data: coupon, error } = useLoad(
    (signal) => api.coupon(couponId, { fresh: true, signal }),
    `coupon:${couponId}`,
    POLL_MS,
  );
  const opens = useReached(coupon ? Date.parse(coupon.saleStartsAt) : null);

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
          {session?.role === 'admin' && (
            <p>
              <a href={`/app/admin/coupons/${coupon.couponId}`}>Manage and watch the sale</a>
            </p>
          )}
          {session?.role !== 'admin' && <BuyPanel coupon={coupon} opens={opens} now={now} />}
        </article>
      )}
    </section>
  );
};

const BuyPanel = ({ coupon, opens, now }: { coupon: Coupon; opens: boolean; now: number }) => {
  const api = useApi();
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<(Outcome & { orderId?: string }) | null>(null);
  const inFlight = useRef(false);
  const key = useRef<string | null>(null);
  const phase = salePhase(coupon, now);
  // Sold out as the read model shows it: a cancellation may bring stock back, and the next poll enables the button.
  const closed = phase === 'closed' || phase === 'inactive' || phase === 'ended' || phase === 'sold-out';
  const startsIn = Date.parse(coupon.saleStartsAt) - now;

  const buy = async () => {
    // A second click before the first is answered sends nothing: the button is disabled only on the next render.
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    key.current ??= newKey();
    try {
      const { order, replayed } = await api.buy(coupon, key.current);
      setOutcome({
        tone: 'success',
        title: 'You got it!',
        text: replayed ? 'Your order was already placed.' : 'Your order is placed.',
        retry: false,
        orderId: order.orderId,
      });
      key.current = null;
    } catch (error) {
      const refusal = refusalOutcome(asApiError(error));
      setOutcome(refusal);
      // The same intent keeps its key while a retry may still succeed, so a retry never buys twice.
      if (!refusal.retry) key.current = null;
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };

  if (session === null)
    return (
      <p>
        <a class="button primary" href={`/app/login?next=${encodeURIComponent(location.pathname)}`}>
          Log in to buy
        </a>
      </p>
    );

  return (
    <div class="buy">
      {coupon.couponType === 'SECKILL' && !opens && (
        <p class="countdown" id="countdown">
          Opens in <strong data-testid="countdown">{countdown(startsIn)}</strong>
        </p>
      )}
      <button
        type="button"
        class="primary big"
        onClick={() => void buy()}
        disabled={busy || !opens || closed}
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
  const [state, setState] = useState<{
    busy: boolean;
    text: string | null;
    error: ReturnType<typeof asApiError> | null;
  }>({
    busy: false,
    text: null,
    error: null,
  });
  const reserve = async () => {
    if (state.busy) return;
    setState({ busy: true, text: null, error: null });
    try {
      await api.reserve(couponId);
      setState({ busy: false, text: 'Reserved: we will buy for you when the sale opens.', error: null });
    } catch (error) {
      setState({ busy: false, text: null, error: asApiError(error) });
    }
  };
  return (
    <>
      <button type="button" onClick={() => void reserve()} disabled={state.busy}>
        Reserve
      </button>
      {state.text && (
        <p class="alert alert-success" role="status">
          {state.text} <a href="/app/reservations">My reservations</a>
        </p>
      )}
      <ErrorMessage error={state.error} />
    </>
  );
};
