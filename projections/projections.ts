import { couponsProjection } from './coupons/coupons-projection';
import { notificationsProjection } from './notifications/notifications-projection';
import { ordersProjection } from './orders/orders-projection';
import type { Projection, ProjectionName } from './projection';
import { reservationsProjection } from './reservations/reservations-projection';
import { statsProjection } from './stats/stats-projection';

export const PROJECTIONS: Readonly<Record<ProjectionName, Projection>> = {
  orders: ordersProjection,
  coupons: couponsProjection,
  stats: statsProjection,
  reservations: reservationsProjection,
  notifications: notificationsProjection,
};
