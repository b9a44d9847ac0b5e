import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { EventStore } from '../commands/event-store-port';
import { startRoles, type RunningProcess } from '../bin/process';
import { TOKENS } from '../bin/tokens';
import { PROJECTION_NAMES } from '../projections/projection';
import { launchChromium, screenshot, seriousA11yViolations, type AxeViolation } from './support/browser';
import { freePort } from './support/child-process';
import { request, tokenFor } from './support/http-client';
import { steadySeckillLoad } from './support/seckill-load';
import { createTestEnv, type TestEnv } from './support/test-env';
import { allEventsOf, createCouponVia } from './support/write-api-requests';

/**
 * The web app in a real Chromium against the real system: write-api, read-api, relay and every projector in one
 * process on Redis and MariaDB, the app served by read-api from web/dist (npm run build), exactly as `npm start` runs.
 */
const ADMIN = { username: 'admin', password: 'admin-password-123' };
const PASSWORD = 'correct horse battery';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

describe('web app in Chromium', () => {
  let env: TestEnv;
  let app: RunningProcess;
  let browser: Browser;
  let store: EventStore;
  let writeUrl: string;
  let appUrl: string;
  let adminToken: string;
  const a11y = new Map<string, AxeViolation[]>();

  beforeAll(async () => {
    if (!existsSync(resolve(__dirname, '../web/dist/index.html')))
      throw new Error('web/dist is not built: run npm run build');
    const [writePort, readPort] = [await freePort(), await freePort()];
    env = createTestEnv({
      COUPONKILL_WRITE_API_PORT: String(writePort),
      COUPONKILL_READ_API_PORT: String(readPort),
    });
    app = await startRoles(
      env.config,
      { writeApi: writePort, readApi: readPort, relay: true, projectors: PROJECTION_NAMES, firer: true },
      'all-in-one',
    );
    writeUrl = app.urls.writeApi!;
    // The page's origin must be the one write-api allows by default: read-api's own, on localhost.
    appUrl = `http://localhost:${readPort}/app`;
    store = app.container.get(TOKENS.EventStore);
    browser = await launchChromium();
    const login = await request(writeUrl, 'POST', '/api/v1/auth/login', { body: ADMIN });
    adminToken = String(login.body.token);
  }, 180_000);

  afterAll(async () => {
    await browser.close();
    await app.stop();
    await env.cleanup();
  });

  const newPage = async (viewport = DESKTOP): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    return { context, page };
  };

  /** Screenshot and accessibility check of a main page, once the page shows `ready`. */
  const capture = async (page: Page, name: string): Promise<void> => {
    await screenshot(page, name);
    a11y.set(name, await seriousA11yViolations(page));
  };

  const createCoupon = (coupon: Record<string, unknown>): Promise<string> =>
    createCouponVia(writeUrl, adminToken, coupon);

  const registerThroughApi = async (username: string): Promise<void> => {
    const response = await request(writeUrl, 'POST', '/api/v1/users', {
      body: { username, password: PASSWORD },
    });
    expect(response.status).toBe(201);
  };

  const logIn = async (page: Page, username: string, password = PASSWORD): Promise<void> => {
    await page.goto(`${appUrl}/login`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Coupons' }).waitFor();
  };

  /** The orders the event store holds for a coupon, by buyer id. */
  const placedOrders = async (couponId: string): Promise<Map<string, number>> => {
    const byBuyer = new Map<string, number>();
    for (const event of await allEventsOf(store)) {
      const data = event.data as { couponId?: string; userId?: string };
      if (event.type === 'OrderPlaced' && data.couponId === couponId)
        byBuyer.set(data.userId!, (byBuyer.get(data.userId!) ?? 0) + 1);
    }
    return byBuyer;
  };

  it('a buyer registers, waits for the window, buys, sees the order, cancels it and sees the stock come back', async () => {
    const { context, page } = await newPage();
    const urls: string[] = [];
    page.on('request', (request) => urls.push(request.url()));

    await page.goto(`${appUrl}/register`);
    await capture(page, 'register');
    await page.getByLabel('Username').fill('web-alice');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Register' }).click();
    await page.getByRole('heading', { name: 'Coupons' }).waitFor();

    // Made once the buyer is in (registering hashes a password, slow on a busy machine), opening 10 s later: time for
    // the page to show the button disabled first, whatever else the machine is doing.
    const opensAt = Date.now() + 10_000;
    const couponId = await createCoupon({
      name: 'Opens in a moment',
      totalStock: 5,
      saleStartsAt: new Date(opensAt).toISOString(),
    });
    await page.goto(`${appUrl}/coupons/${couponId}`);
    const buy = page.getByRole('button', { name: 'Buy now' });
    await buy.waitFor();
    expect(await buy.isDisabled()).toBe(true);
    await page.getByTestId('countdown').waitFor();
    await capture(page, 'coupon-before-window');

    // The button enables itself when the window opens: not before, and within a moment after.
    await waitUntil(async () => !(await buy.isDisabled()), 15_000);
    const enabledAt = Date.now();
    expect(enabledAt).toBeGreaterThanOrEqual(opensAt - 50);
    expect(enabledAt - opensAt).toBeLessThan(1_000);

    await buy.click();
    await expect(page.getByTestId('outcome').textContent()).resolves.toContain('You got it!');
    await capture(page, 'coupon-won');

    await page.getByRole('link', { name: 'My orders' }).first().click();
    const order = page.getByTestId('order');
    await order.waitFor();
    expect(await order.count()).toBe(1);
    expect(await page.getByTestId('order-status').textContent()).toBe('placed');
    await capture(page, 'orders');

    await page.getByRole('button', { name: /^Cancel/ }).click();
    await page.getByTestId('order-status').filter({ hasText: 'cancelled' }).waitFor();
    await page.getByLabel('Status').selectOption('CANCELLED');
    await page.getByTestId('order-status').filter({ hasText: 'cancelled' }).waitFor();

    await page.goto(`${appUrl}/coupons/${couponId}`);
    await page.getByTestId('remaining').filter({ hasText: '5 of 5 left' }).waitFor();
    await page.goto(`${appUrl}/`);
    await page.getByRole('link', { name: 'Opens in a moment' }).waitFor();
    await capture(page, 'coupons');
    const stored = await placedOrders(couponId);
    expect([...stored.values()]).toEqual([1]);

    await page.getByRole('link', { name: 'Reservations' }).click();
    await page.getByRole('heading', { name: 'My reservations' }).waitFor();
    await capture(page, 'reservations');
    await page.getByRole('link', { name: 'Notifications' }).click();
    await page.getByRole('heading', { name: 'Notifications' }).waitFor();
    await capture(page, 'notifications');

    // The token lives in sessionStorage only, and no URL the app asked for carried it.
    const storage = await page.evaluate<{ session: string | null; local: number }>(
      `({ session: sessionStorage.getItem('couponkill.session'), local: localStorage.length })`,
    );
    const token = (JSON.parse(storage.session ?? '{}') as { token?: string }).token;
    expect(token).toMatch(/^eyJ/);
    expect(storage.local).toBe(0);
    expect(urls.filter((url) => url.includes(token!))).toEqual([]);
    await context.close();
  });

  it('a buyer reserves before the window and is told live, with an unread badge, when the firer buys for them', async () => {
    await registerThroughApi('web-dave');
    const { context, page } = await newPage();
    await logIn(page, 'web-dave');
    // Made once the buyer is in, opening 8 s later: time to reserve before it opens on a busy machine.
    const couponId = await createCoupon({
      name: 'Reserved drop',
      totalStock: 3,
      saleStartsAt: new Date(Date.now() + 8_000).toISOString(),
    });
    await page.goto(`${appUrl}/coupons/${couponId}`);
    await page.getByRole('button', { name: 'Reserve' }).click();
    await page.getByText('Reserved: we will buy for you when the sale opens.').waitFor();
    // The badge moves on the live stream (Server-Sent Events through the app's CSP), without a reload.
    await page.getByTestId('unread').filter({ hasText: /^1/ }).waitFor({ timeout: 30_000 });
    await page.getByRole('link', { name: /Notifications/ }).click();
    await page.getByText('Your reservation bought the coupon.').waitFor();
    await page.getByRole('button', { name: 'Mark all read' }).click();
    await page.getByTestId('unread').waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Reservations' }).click();
    await page.locator('.badge-succeeded').waitFor();
    expect([...(await placedOrders(couponId)).values()]).toEqual([1]);
    await context.close();
  });

  it('a buyer who double-clicks gets exactly one order', async () => {
    // A limit of 3: only the app's guard and its Idempotency-Key keep a double click from buying twice.
    const couponId = await createCoupon({ name: 'Double click', totalStock: 50, perUserLimit: 3 });
    await registerThroughApi('web-bob');
    const { context, page } = await newPage(PHONE);
    // A deep link opened logged out leads to the login page, and back to the link after logging in.
    await page.goto(`${appUrl}/coupons/${couponId}`);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe(`/app/coupons/${couponId}`);
    await page.getByLabel('Username').fill('web-bob');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Double click' }).waitFor();
    const buy = page.getByRole('button', { name: 'Buy now' });
    await buy.waitFor();
    await buy.dblclick();
    await expect(page.getByTestId('outcome').textContent()).resolves.toContain('You got it!');
    await capture(page, 'coupon-phone');
    await page.goto(`${appUrl}/orders`);
    await page.getByTestId('order').first().waitFor();
    expect(await page.getByTestId('order').count()).toBe(1);
    await capture(page, 'orders-phone');

    const stored = await placedOrders(couponId);
    expect(stored.size).toBe(1);
    expect([...stored.values()]).toEqual([1]);
    await context.close();
  });

  it('a sold-out coupon says so', async () => {
    const couponId = await createCoupon({ name: 'Tiny drop', totalStock: 1 });
    const first = await request(writeUrl, 'POST', `/api/v1/seckill/${couponId}`, {
      token: tokenFor('early-bird'),
    });
    expect(first.status).toBe(201);
    await registerThroughApi('web-carol');
    const { context, page } = await newPage();
    await logIn(page, 'web-carol');
    await page.goto(`${appUrl}/coupons/${couponId}`);
    // The read model may not show the sale yet: the button is pressed either way and the API decides.
    const buy = page.locator('button.big');
    await buy.waitFor();
    if (await buy.isEnabled()) {
      await buy.click();
      await expect(page.getByTestId('outcome').textContent()).resolves.toContain('Sold out');
    }
    await page.locator('.badge-sold-out').waitFor();
    await page.getByRole('button', { name: 'Sold out' }).waitFor();
    expect(await buy.isDisabled()).toBe(true);
    await capture(page, 'coupon-sold-out');
    expect((await placedOrders(couponId)).size).toBe(1);
    await context.close();
  });

  it('an admin creates a coupon through the form, adds stock and watches the live view move under load', async () => {
    const { context, page } = await newPage();
    await logIn(page, ADMIN.username, ADMIN.password);
    await page.getByRole('link', { name: 'New coupon' }).first().click();
    await page.getByLabel('Name').fill('Admin made');
    await page.getByLabel('Face value (cents)').fill('250');
    await page.getByLabel('Stock', { exact: true }).fill('0');
    await page.getByLabel('Per-buyer limit').fill('2');
    await page.getByRole('button', { name: 'Create coupon' }).click();
    // The API's own message, beside the field it names.
    const stockError = page.locator('#totalStock-error');
    await stockError.waitFor();
    expect(await page.getByLabel('Stock', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await stockError.textContent()).toMatch(/>=\s*1|at least 1|too small/i);
    await capture(page, 'admin-new-coupon-invalid');

    await page.getByLabel('Stock', { exact: true }).fill('20');
    // A window already open, so the scripted load can buy at once.
    await page.getByLabel('Sale opens').fill(localTime(Date.now() - 60_000));
    await page.getByRole('button', { name: 'Create coupon' }).click();
    await page.getByRole('heading', { name: 'Live sale' }).waitFor();
    const couponId = /\/admin\/coupons\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    await page.getByTestId('live-remaining').filter({ hasText: /^20$/ }).waitFor();

    await page.getByLabel('Add stock (units)').fill('30');
    await page.getByRole('button', { name: 'Add stock' }).click();
    await page.getByTestId('live-remaining').filter({ hasText: /^50$/ }).waitFor();

    const load = steadySeckillLoad([writeUrl], [couponId], { workers: 8, buyersPerWorker: 20 });
    try {
      await page
        .getByTestId('sold')
        .filter({ hasText: /^[1-9]/ })
        .waitFor({ timeout: 20_000 });
      await waitUntil(async () => Number(await page.getByTestId('accepted-rate').textContent()) > 0, 10_000);
      await page.getByTestId('live-remaining').filter({ hasText: /^0$/ }).waitFor({ timeout: 30_000 });
      await page.getByTestId('refusals').filter({ hasText: 'SOLD_OUT' }).waitFor({ timeout: 10_000 });
    } finally {
      await load.stop();
    }
    // Every figure ends at what the event store holds.
    const stored = [...(await placedOrders(couponId)).values()].reduce((a, b) => a + b, 0);
    expect(stored).toBe(50);
    await page.getByTestId('sold').filter({ hasText: /^50$/ }).waitFor();
    await page.getByTestId('accepted').filter({ hasText: /^50$/ }).waitFor({ timeout: 10_000 });
    await capture(page, 'admin-live-sale');
    await context.close();
  });

  it('the bundle is small and holds no secret', () => {
    const dist = resolve(__dirname, '../web/dist');
    const files = readdirSync(resolve(dist, 'assets')).map((name) => resolve(dist, 'assets', name));
    files.push(resolve(dist, 'index.html'));
    const text = files.map((file) => readFileSync(file, 'utf8')).join('\n');
    for (const secret of [env.config.jwt.secret, ADMIN.password, 'COUPONKILL_'])
      expect(text).not.toContain(secret);
    const gzipped = files.reduce((sum, file) => sum + gzipSync(readFileSync(file)).length, 0);
    console.log(`web app bundle: ${files.length} files, ${text.length} bytes, ${gzipped} bytes gzipped`);
    expect(gzipped).toBeLessThan(60_000);
  });

  it('every page passes axe-core with no serious or critical violation', () => {
    expect(a11y.size).toBeGreaterThanOrEqual(10);
    expect(Object.fromEntries(a11y)).toEqual(Object.fromEntries([...a11y.keys()].map((page) => [page, []])));
  });
});

/** A `datetime-local` value for the browser's zone (the test's, as both run here). */
const localTime = (epochMs: number): string => {
  const date = new Date(epochMs);
  return new Date(epochMs - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
};

/** Polls `check` every 20 ms (each a round trip to the browser) until it holds; fails after `timeoutMs`. */
const waitUntil = async (check: () => Promise<boolean>, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};
