import { ApiError } from './api-error';
import { callJson, type Answer, type Call } from './http';
import { ServerClock } from './server-clock';
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

/** How a read is made: `fresh` waits for the buyer's newest write (`minPosition`); `signal` aborts it. */
export interface ReadOptions {
  readonly fresh?: boolean;
  readonly signal?: AbortSignal;
}

/**
 * The two public APIs as the app uses them: writes go to write-api (another origin in production, allowed by its
 * `COUPONKILL_CORS_ORIGINS`), reads to read-api, which serves this app (same origin). Every write records its position
 * for reads that ask to be `fresh`. A 401 to an authenticated call ends the session. Every method rejects with an
 * ApiError carrying the API's code and message.
 */
export class Api {
  /** The server's time, from read-api's answers (sale windows open by it). */
  readonly clock = new ServerClock();

  constructor(
    private readonly config: AppConfig,
    readonly session: SessionStore,
  ) {}

  /** `POST /api/v1/users`: a buyer's account. */
  async register(username: string, password: string): Promise<void> {
    await this.write('POST', '/api/v1/users', { username, password }, { anonymous: true });
  }

  /** `POST /api/v1/auth/login`, starting the session. */
  async login(username: string, password: string): Promise<void> {
    const answer = await this.write<LoginAnswer>(
      'POST',
      '/api/v1/auth/login',
      { username, password },
      { anonymous: true },
    );
    this.session.start(username.trim().toLowerCase(), answer);
  }

  /** `POST /api/v1/auth/refresh`: a new token for the current one (README, "Token lifetime and refresh"). */
  async refresh(): Promise<void> {
    const current = this.session.current();
    if (current === null) return;
    const answer = await this.write<LoginAnswer>('POST', '/api/v1/auth/refresh');
    this.session.start(current.username, answer);
  }

  logout(): void {
    this.session.end();
  }

  /** `GET /api/v1/coupons`: a page of coupons, newest first. */
  coupons(cursor: string | null, limit = 12, options: ReadOptions = {}): Promise<Page<Coupon>> {
    return this.read('/api/v1/coupons', { cursor, limit }, options);
  }

  /** `GET /api/v1/coupons/:couponId`, with its live stock. */
  coupon(couponId: string, options: ReadOptions = {}): Promise<Coupon> {
    return this.read(`/api/v1/coupons/${enc(couponId)}`, {}, options);
  }

  /**
   * A seckill (`POST /api/v1/seckill/:couponId`) or, for a regular coupon, a claim. One click, one request: the key
   * makes a repeat of the same intent answer the same order (200, replayed), never a second one.
   */
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

  /** `GET /api/v1/users/:me/orders`: the buyer's orders, newest first, at or after their newest write. */
  orders(status: OrderStatus | null, cursor: string | null, limit = 10): Promise<Page<Order>> {
    return this.read(
      `/api/v1/users/${enc(this.userId())}/orders`,
      { status, cursor, limit },
      { fresh: true },
    );
  }

  /** `POST /api/v1/orders/:orderId/cancel`: its unit returns to stock. */
  cancelOrder(orderId: string): Promise<Positioned> {
    return this.write('POST', `/api/v1/orders/${enc(orderId)}/cancel`);
  }

  /** `POST /api/v1/orders/:orderId/use`, with the purchase amount when the order has a minimum spend. */
  useOrder(orderId: string, amountCents: number | string | null): Promise<Positioned> {
    return this.write(
      'POST',
      `/api/v1/orders/${enc(orderId)}/use`,
      amountCents === null ? undefined : { amountCents },
    );
  }

  /** `POST /api/v1/reservations`: buy for me when the window opens. */
  reserve(couponId: string): Promise<Positioned> {
    return this.write('POST', '/api/v1/reservations', { couponId });
  }

  /** `DELETE /api/v1/reservations/:reservationId`, while it is pending. */
  cancelReservation(reservationId: string): Promise<Positioned> {
    return this.write('DELETE', `/api/v1/reservations/${enc(reservationId)}`);
  }

  /** `GET /api/v1/reservations`: the buyer's, newest first. */
  reservations(cursor: string | null, limit = 10): Promise<Page<Reservation>> {
    return this.read('/api/v1/reservations', { cursor, limit }, { fresh: true });
  }

  /** `GET /api/v1/notifications`: the buyer's, newest first. */
  notifications(cursor: string | null, limit = 10): Promise<Page<Notification>> {
    return this.read('/api/v1/notifications', { cursor, limit }, { fresh: true });
  }

  /** `GET /api/v1/notifications/unread-count`. */
  async unreadCount(): Promise<number> {
    return (
      await this.read<{ unreadCount: number }>('/api/v1/notifications/unread-count', {}, { fresh: true })
    ).unreadCount;
  }

  /** `POST /api/v1/notifications/:notificationId/read`. */
  markRead(notificationId: string): Promise<Positioned> {
    return this.write('POST', `/api/v1/notifications/${enc(notificationId)}/read`);
  }

  /** `POST /api/v1/notifications/read`: `upTo` (a cursor) and every older one become read. */
  markAllRead(upTo: string): Promise<Positioned> {
    return this.write('POST', '/api/v1/notifications/read', { upTo });
  }

  /** `POST /api/v1/notifications/stream-tickets`: a short-lived credential for EventSource, which sends no header. */
  async streamTicket(): Promise<string> {
    const answer = await this.call<{ ticket: string }>({
      method: 'POST',
      url: '/api/v1/notifications/stream-tickets',
      token: this.token(),
    });
    return answer.body.ticket;
  }

  /** `POST /api/v1/coupons` (admins): the fields as the form has them; the API validates every one. */
  createCoupon(fields: Record<string, unknown>): Promise<Coupon & Positioned> {
    return this.write('POST', '/api/v1/coupons', fields);
  }

  /** `POST /api/v1/coupons/:couponId/stock` (admins). */
  addStock(couponId: string, quantity: number | string): Promise<Positioned> {
    return this.write('POST', `/api/v1/coupons/${enc(couponId)}/stock`, { quantity });
  }

  /** `POST /api/v1/coupons/:couponId/sale-window` (admins), before the window opens. */
  changeWindow(couponId: string, saleStartsAt: string, saleEndsAt: string): Promise<Positioned> {
    return this.write('POST', `/api/v1/coupons/${enc(couponId)}/sale-window`, { saleStartsAt, saleEndsAt });
  }

  /** `POST /api/v1/coupons/:couponId/close|deactivate|reactivate` (admins). */
  couponAction(couponId: string, action: 'close' | 'deactivate' | 'reactivate'): Promise<Positioned> {
    return this.write('POST', `/api/v1/coupons/${enc(couponId)}/${action}`);
  }

  /** `GET /api/v1/admin/coupons/:couponId/sale-stats` on write-api (admins): outcomes over every replica. */
  async saleStats(couponId: string, signal?: AbortSignal): Promise<SaleStats> {
    const answer = await this.call<SaleStats>({
      method: 'GET',
      url: `${this.config.writeApiUrl}/api/v1/admin/coupons/${enc(couponId)}/sale-stats`,
      token: this.token(),
      ...(signal ? { signal } : {}),
    });
    return answer.body;
  }

  /** `GET /api/v1/projections/lag` (public on read-api; the chart's gateway keeps it inside the cluster). */
  async lag(signal?: AbortSignal): Promise<ProjectionLagReport> {
    const answer = await this.call<ProjectionLagReport>({
      method: 'GET',
      url: '/api/v1/projections/lag',
      ...(signal ? { signal } : {}),
    });
    return answer.body;
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
      token: options.anonymous ? undefined : this.token(),
      body,
    });
    const position = (answer.body as Partial<Positioned> | null)?.position;
    if (typeof position === 'string') this.session.wrote(position);
    return answer.body;
  }

  private async read<T>(path: string, query: Query, options: ReadOptions = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query))
      if (value !== null && value !== undefined) params.set(key, String(value));
    const minPosition = options.fresh ? this.session.minPosition() : null;
    if (minPosition !== null) params.set('minPosition', minPosition);
    const search = params.toString();
    const sentAt = Date.now();
    const answer = await this.call<T>({
      method: 'GET',
      url: search === '' ? path : `${path}?${search}`,
      token: this.token(),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    this.clock.observe(answer.headers.get('date'), sentAt, Date.now());
    return answer.body;
  }

  /** `token`: undefined for anonymous calls; null for an authenticated call without a live session (a 401 ends it). */
  private async call<T>(call: Call): Promise<Answer<T>> {
    try {
      return await callJson<T>(call);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401 && call.token !== undefined)
        this.session.end(true);
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
