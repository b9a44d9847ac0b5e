import type { Coupon } from '../api/types';

export type SalePhase = 'upcoming' | 'open' | 'ended' | 'sold-out' | 'closed' | 'inactive';

/** Where a coupon's sale stands at `now` (epoch ms), from what read-api shows. */
export const salePhase = (coupon: Coupon, now: number): SalePhase => {
  if (coupon.status === 'CLOSED') return 'closed';
  if (coupon.status === 'INACTIVE') return 'inactive';
  if (now >= Date.parse(coupon.saleEndsAt)) return 'ended';
  if (coupon.remaining <= 0) return 'sold-out';
  return now < Date.parse(coupon.saleStartsAt) ? 'upcoming' : 'open';
};

const LABELS: Record<SalePhase, string> = {
  upcoming: 'Upcoming',
  open: 'On sale',
  ended: 'Sale ended',
  'sold-out': 'Sold out',
  closed: 'Closed',
  inactive: 'Paused',
};

export const PhaseBadge = ({ phase }: { phase: SalePhase }) => (
  <span class={`badge badge-${phase}`}>{LABELS[phase]}</span>
);

/** Remaining stock as a bar and a figure; the figure is what a screen reader reads. */
export const StockMeter = ({ coupon }: { coupon: Coupon }) => (
  <div class="stock">
    <meter
      min={0}
      max={coupon.totalStock}
      value={coupon.remaining}
      aria-label={`Remaining stock of ${coupon.name}`}
    />
    <span class="stock-figure" data-testid="remaining">
      {coupon.remaining} of {coupon.totalStock} left
    </span>
  </div>
);
