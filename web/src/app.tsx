import { useEffect, useRef } from 'preact/hooks';
import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import type { Role } from './api/types';
import { useApi, useSession } from './app-context';
import { useLiveNotifications } from './notifications-live';
import { CouponAdminPage } from './pages/admin/coupon-admin-page';
import { NewCouponPage } from './pages/admin/new-coupon-page';
import { AuthPage } from './pages/auth-page';
import { CouponPage } from './pages/coupon-page';
import { CouponsPage } from './pages/coupons-page';
import { NotificationsPage } from './pages/notifications-page';
import { OrdersPage } from './pages/orders-page';
import { ReservationsPage } from './pages/reservations-page';

/** Sends a visitor without the right session to the login page, then back. */
const Guard = ({ role, children }: { role?: Role; children: preact.ComponentChildren }) => {
  const session = useSession();
  const { url, route } = useLocation();
  const allowed = session !== null && (role === undefined || session.role === role);
  useEffect(() => {
    if (session === null) route(`/app/login?next=${encodeURIComponent(url)}`, true);
  }, [session, url, route]);
  if (session === null) return null;
  return allowed ? <>{children}</> : <p role="alert">This page is for administrators.</p>;
};

const Header = ({ unread }: { unread: number }) => {
  const api = useApi();
  const session = useSession();
  const { path, route } = useLocation();
  const link = (href: string, text: string, extra?: preact.ComponentChildren) => (
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
        {link('/app/', 'Coupons')}
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

/** Moves focus to the new page's heading after navigation, so keyboard and screen-reader users land on it. */
const FocusOnNavigate = () => {
  const { path } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const heading = document.querySelector<HTMLElement>('main h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }, [path]);
  return null;
};

const Shell = () => {
  const api = useApi();
  const session = useSession();
  const live = useLiveNotifications(api, session?.role === 'user' ? session.userId : null);
  return (
    <>
      <Header unread={live.unread} />
      <main id="main">
        <FocusOnNavigate />
        <Router>
          <Route path="/app/" component={CouponsPage} />
          <Route path="/app/login" component={() => <AuthPage mode="login" />} />
          <Route path="/app/register" component={() => <AuthPage mode="register" />} />
          <Route
            path="/app/coupons/:couponId"
            component={({ couponId }: { couponId: string }) => <CouponPage couponId={couponId} />}
          />
          <Route
            path="/app/orders"
            component={() => (
              <Guard>
                <OrdersPage />
              </Guard>
            )}
          />
          <Route
            path="/app/reservations"
            component={() => (
              <Guard>
                <ReservationsPage />
              </Guard>
            )}
          />
          <Route
            path="/app/notifications"
            component={() => (
              <Guard>
                <NotificationsPage live={live} />
              </Guard>
            )}
          />
          <Route
            path="/app/admin/coupons/new"
            component={() => (
              <Guard role="admin">
                <NewCouponPage />
              </Guard>
            )}
          />
          <Route
            path="/app/admin/coupons/:couponId"
            component={({ couponId }: { couponId: string }) => (
              <Guard role="admin">
                <CouponAdminPage couponId={couponId} />
              </Guard>
            )}
          />
          <Route default component={NotFound} />
        </Router>
      </main>
    </>
  );
};

const NotFound = () => (
  <section>
    <h1>Not found</h1>
    <p>
      No such page. <a href="/app/">See the coupons</a>.
    </p>
  </section>
);

export const App = () => (
  <LocationProvider scope="/app/">
    <Shell />
  </LocationProvider>
);
