import { couponsProjection } from './coupons-projection';
import { ordersProjection } from './orders-projection';
import type { Projection, ProjectionName } from './projection';
import { statsProjection } from './stats-projection';

export const PROJECTIONS: Readonly<Record<ProjectionName, Projection>> = {
  orders: ordersProjection,
  coupons: couponsProjection,
  stats: statsProjection,
};
