import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import type { Role } from './api/types';
import { useApi, useSession } from './lib/app-context';
import { usePageTitle } from './lib/hooks';
import { LiveNotificationsContext, useNotificationStream } from './lib/notifications-live';
import { CouponAdminPage } from './pages/admin/coupon-admin-page';
import { NewCouponPage } from './pages/admin/new-coupon-page';
import { AuthPage } from './pages/auth-page';
import { CouponPage } from './pages/coupon-page';
import { CouponsPage } from './pages/coupons-page';
import { NotificationsPage } from './pages/notifications-page';
import { OrdersPage } from './pages/orders-page';
import { ReservationsPage } from './pages/reservations-page';

/** Sends a visitor without the right session to the login page, then back; says so when a session ended by itself. */
const Guard = ({ role, children }: { role?: Role; children: ComponentChildren }) => {
  const api = useApi();
  const session = useSession();
  const { url, route } = useLocation();
  useEffect(() => {
    if (session === null)
      route(`/app/login?next=${encodeURIComponent(url)}${api.session.endedUnasked ? '&ended=1' : ''}`, true);
  }, [api, session, url, route]);
  if (session === null) return null;
  return role === undefined || session.role === role ? (
    <>{children}</>
  ) : (
    <p role="alert">This page is for administrators.</p>
  );
};

const Header = ({ unread }: { unread: number }) => {
  const api = useApi();
  const session = useSession();
  const { path, route } = useLocation();
  const link = (href: string, text: string, extra?: ComponentChildren) => (
    <a href={href} aria-current={path === href ? 'page' : undefined}>
      {text}
      {extra}
    </a>
  );
  return (
    <header class="top">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <a class="brand" href="/app/">
        CouponKill
      </a>
      <nav aria-label="Main">
        {session && link('/app/', 'Coupons')}
        {session?.role === 'user' && (
          <>
            {link('/app/orders', 'My orders')}
            {link('/app/reservations', 'Reservations')}
            {link(
              '/app/notifications',
              'Notifications',
              unread > 0 && (
                <span class="count" data-testid="unread">
                  {unread}
                  <span class="visually-hidden"> unread</span>
                </span>
              ),
            )}
          </>
        )}
        {session?.role === 'admin' && link('/app/admin/coupons/new', 'New coupon')}
      </nav>
      <div class="visually-hidden" role="status" aria-live="polite">
        {unread > 0 ? `${unread} unread notifications` : ''}
      </div>
      <div class="who">
        {session ? (
          <>
            <span>{session.username}</span>
            <button
              type="button"
              onClick={() => {
                api.logout();
                route('/app/login');
              }}
            >
              Log out
            </button>
          </>
        ) : (
          <>
            <a href="/app/login">Log in</a> <a href="/app/register">Register</a>
          </>
        )}
      </div>
    </header>
  );
};

/** After navigation, focus moves to the content, so keyboard and screen-reader users start on the new page. */
const FocusOnNavigate = ({ main }: { main: { current: HTMLElement | null } }) => {
  const { path } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [path, main]);
  return null;
};

// The route components are module-level: preact-iso keeps a matched route's element until the URL changes, so
// anything that changes meanwhile (live notifications) reaches pages through context, never through props.
const Login = () => <AuthPage mode="login" />;
const Register = () => <AuthPage mode="register" />;
const Coupons = () => (
  <Guard>
    <CouponsPage />
  </Guard>
);
const CouponDetail = ({ couponId }: { couponId: string }) => (
  <Guard>
    <CouponPage couponId={couponId} />
  </Guard>
);
const Orders = () => (
  <Guard role="user">
    <OrdersPage />
  </Guard>
);
const Reservations = () => (
  <Guard role="user">
    <ReservationsPage />
  </Guard>
);
const Notifications = () => (
  <Guard role="user">
    <NotificationsPage />
  </Guard>
);
const NewCoupon = () => (
  <Guard role="admin">
    <NewCouponPage />
  </Guard>
);
const CouponAdmin = ({ couponId }: { couponId: string }) => (
  <Guard role="admin">
    <CouponAdminPage key={couponId} couponId={couponId} />
  </Guard>
);

const NotFound = () => {
  usePageTitle('Not found');
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No such page. <a href="/app/">See the coupons</a>.
      </p>
    </section>
  );
};

const Shell = () => {
  const api = useApi();
  const session = useSession();
  const live = useNotificationStream(api, session?.role === 'user' ? session.userId : null);
  const main = useRef<HTMLElement>(null);
  return (
    <LiveNotificationsContext.Provider value={live}>
      <Header unread={live.unread} />
      <main id="main" ref={main} tabIndex={-1}>
        <FocusOnNavigate main={main} />
        <Router>
          <Route path="/app/" component={Coupons} />
          <Route path="/app/login" component={Login} />
          <Route path="/app/register" component={Register} />
          <Route path="/app/coupons/:couponId" component={CouponDetail} />
          <Route path="/app/orders" component={Orders} />
          <Route path="/app/reservations" component={Reservations} />
          <Route path="/app/notifications" component={Notifications} />
          <Route path="/app/admin/coupons/new" component={NewCoupon} />
          <Route path="/app/admin/coupons/:couponId" component={CouponAdmin} />
          <Route default component={NotFound} />
        </Router>
      </main>
    </LiveNotificationsContext.Provider>
  );
};

/** The whole app, routed under /app/ (read-api serves every path there with index.html). */
export const App = () => (
  <LocationProvider scope="/app/">
    <Shell />
  </LocationProvider>
);
