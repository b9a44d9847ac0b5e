import { ApiError } from './api-error';
import { callJson, type Call } from './http';
import type { SessionStore } from './session';
import type {
  AppConfig,
  Coupon,
  LoginAnswer,
  Notification,
  Order,
  OrderStatus,
  Page,
  PlacedOrder,
  Positioned,
  ProjectionLagReport,
  Reservation,
  SaleStats,
} from './types';

/** A seckill's answer: the order, and whether it is a replay of an earlier request with the same Idempotency-Key. */
export interface Purchase {
  readonly order: PlacedOrder;
  readonly replayed: boolean;
}

type Query = Record<string, string | number | boolean | null | undefined>;

/**
 * The two public APIs as the app uses them: writes go to write-api (another origin in production, allowed by its
 * `COUPONKILL_CORS_ORIGINS`), reads to read-api, which serves this app (same origin). Every write records its position
 * and every read of the buyer's own data waits for it (`minPosition`). A 401 ends the session.
 */
export class Api {
  constructor(
    private readonly config: AppConfig,
    readonly session: SessionStore,
  ) {}

  async register(username: string, password: string): Promise<void> {
    await this.write('POST', '/api/v1/users', { username, password }, { anonymous: true });
  }

  async login(username: string, password: string): Promise<void> {
    const answer = await this.write<LoginAnswer>(
      'POST',
      '/api/v1/auth/login',
      { username, password },
      { anonymous: true },
    );
    this.session.start(username.trim().toLowerCase(), answer);
  }

  /** A new token for the current one (README, "Token lifetime and refresh"). */
  async refresh(): Promise<void> {
    const current = this.session.current();
    if (current === null) return;
    const answer = await this.write<LoginAnswer>('POST', '/api/v1/auth/refresh');
    this.session.start(current.username, answer);
  }

  logout(): void {
    this.session.end();
  }

  coupons(cursor: string | null, limit = 12): Promise<Page<Coupon>> {
    return this.read('/api/v1/coupons', { cursor, limit });
  }

  coupon(couponId: string, options: { fresh?: boolean; signal?: AbortSignal } = {}): Promise<Coupon> {
    return this.read(`/api/v1/coupons/${enc(couponId)}`, {}, options);
  }

  /** One click, one request: the key makes a repeat of the same click answer the same order, never a second one. */
  async buy(coupon: Pick<Coupon, 'couponId' | 'couponType'>, idempotencyKey: string): Promise<Purchase> {
    const path =
      coupon.couponType === 'REGULAR'
        ? `/api/v1/coupons/${enc(coupon.couponId)}/claim`
        : `/api/v1/seckill/${enc(coupon.couponId)}`;
    const answer = await this.call<PlacedOrder>({
      method: 'POST',
      url: this.config.writeApiUrl + path,
      token: this.token(),
      headers: { 'idempotency-key': idempotencyKey },
    });
    this.session.wrote(answer.body.position);
    return { order: answer.body, replayed: answer.status === 200 };
  }

  orders(status: OrderStatus | null, cursor: string | null, limit = 10): Promise<Page<Order>> {
    return this.read(
      `/api/v1/users/${enc(this.userId())}/orders`,
      { status, cursor, limit },
      { fresh: true },
    );
  }

  cancelOrder(orderId: string): Promise<Positioned> {
    return this.write('POST', `/api/v1/orders/${enc(orderId)}/cancel`);
  }

  useOrder(orderId: string, amountCents: number | null): Promise<Positioned> {
    return this.write(
      'POST',
      `/api/v1/orders/${enc(orderId)}/use`,
      amountCents === null ? undefined : { amountCents },
    );
  }

  reserve(couponId: string): Promise<Positioned> {
    return this.write('POST', '/api/v1/reservations', { couponId });
  }

  cancelReservation(reservationId: string): Promise<Positioned> {
    return this.write('DELETE', `/api/v1/reservations/${enc(reservationId)}`);
  }

  reservations(cursor: string | null, limit = 10): Promise<Page<Reservation>> {
    return this.read('/api/v1/reservations', { cursor, limit }, { fresh: true });
  }

  notifications(cursor: string | null, limit = 10): Promise<Page<Notification>> {
    return this.read('/api/v1/notifications', { cursor, limit }, { fresh: true });
  }

  async unreadCount(): Promise<number> {
    return (
      await this.read<{ unreadCount: number }>('/api/v1/notifications/unread-count', {}, { fresh: true })
    ).unreadCount;
  }

  markRead(notificationId: string): Promise<Positioned> {
    return this.write('POST', `/api/v1/notifications/${enc(notificationId)}/read`);
  }

  markAllRead(upTo: string | null): Promise<Positioned> {
    return this.write('POST', '/api/v1/notifications/read', upTo === null ? undefined : { upTo });
  }

  /** A short-lived credential for the notification stream, which EventSource cannot send a header to. */
  async streamTicket(): Promise<string> {
    const answer = await this.call<{ ticket: string }>({
      method: 'POST',
      url: '/api/v1/notifications/stream-tickets',
      token: this.token(),
    });
    return answer.body.ticket;
  }

  createCoupon(fields: Record<string, unknown>): Promise<Coupon & Positioned> {
    return this.write('POST', '/api/v1/coupons', fields);
  }

  addStock(couponId: string, quantity: number): Promise<Positioned> {
    return this.write('POST', `/api/v1/coupons/${enc(couponId)}/stock`, { quantity });
  }

  changeWindow(couponId: string, saleStartsAt: string, saleEndsAt: string): Promise<Positioned> {
    return this.write('POST', `/api/v1/coupons/${enc(couponId)}/sale-window`, { saleStartsAt, saleEndsAt });
  }

  couponAction(couponId: string, action: 'close' | 'deactivate' | 'reactivate'): Promise<Positioned> {
    return this.write('POST', `/api/v1/coupons/${enc(couponId)}/${action}`);
  }

  async saleStats(couponId: string, signal?: AbortSignal): Promise<SaleStats> {
    const init: Call = {
      method: 'GET',
      url: `${this.config.writeApiUrl}/api/v1/admin/coupons/${enc(couponId)}/sale-stats`,
      token: this.token(),
      ...(signal ? { signal } : {}),
    };
    return (await this.call<SaleStats>(init)).body;
  }

  async lag(signal?: AbortSignal): Promise<ProjectionLagReport> {
    return (
      await this.call<ProjectionLagReport>({
        method: 'GET',
        url: '/api/v1/projections/lag',
        ...(signal ? { signal } : {}),
      })
    ).body;
  }

  private async write<T>(
    method: 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    options: { anonymous?: boolean } = {},
  ): Promise<T> {
    const answer = await this.call<T>({
      method,
      url: this.config.writeApiUrl + path,
      token: options.anonymous ? null : this.token(),
      body,
    });
    const position = (answer.body as Partial<Positioned> | null)?.position;
    if (typeof position === 'string') this.session.wrote(position);
    return answer.body;
  }

  /** `fresh`: the buyer's own data, read at or after their newest write. */
  private async read<T>(
    path: string,
    query: Query,
    options: { fresh?: boolean; signal?: AbortSignal } = {},
  ): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query))
      if (value !== null && value !== undefined) params.set(key, String(value));
    const minPosition = options.fresh ? this.session.minPosition() : null;
    if (minPosition !== null) params.set('minPosition', minPosition);
    const search = params.toString();
    const answer = await this.call<T>({
      method: 'GET',
      url: search === '' ? path : `${path}?${search}`,
      token: this.token(),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return answer.body;
  }

  private async call<T>(call: Call) {
    try {
      return await callJson<T>(call);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401 && call.token) this.session.end();
      throw error;
    }
  }

  private token(): string | null {
    return this.session.current()?.token ?? null;
  }

  private userId(): string {
    const session = this.session.current();
    if (session === null) throw new ApiError(401, 'UNAUTHENTICATED', 'Log in to see this page.');
    return session.userId;
  }
}

const enc = encodeURIComponent;

/** Reads the app's configuration from read-api, which serves the app. */
export const loadConfig = async (): Promise<AppConfig> =>
  (await callJson<AppConfig>({ method: 'GET', url: '/app/config.json' })).body;
