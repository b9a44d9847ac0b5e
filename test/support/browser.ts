import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's Chromium (scripts/test.sh installs it with Redis and MariaDB). Nothing here downloads a browser: playwright-core
 * only drives the executable it is given. `COUPONKILL_CHROMIUM` points elsewhere.
 */
export const CHROMIUM = process.env.COUPONKILL_CHROMIUM ?? '/usr/bin/chromium';

/** Where the browser tests leave their screenshots (CI keeps them as artifacts). */
export const ARTIFACTS = resolve(__dirname, '../../artifacts/web');

export const launchChromium = async (): Promise<Browser> => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `no Chromium at ${CHROMIUM}: run scripts/test.sh (it installs Debian's chromium) or set COUPONKILL_CHROMIUM`,
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root cannot use Chromium's sandbox; the tests load only our own app.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
};

export const screenshot = async (page: Page, name: string): Promise<void> => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: resolve(ARTIFACTS, `${name}.png`), fullPage: true });
};

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

/**
 * axe-core's WCAG 2.x A and AA rules on the page as it is now; answers the serious and critical violations. The script
 * is evaluated through the DevTools protocol, which the app's Content-Security-Policy (script-src 'self') does not
 * govern, so the check runs against the policy the app really ships with.
 */
export const seriousA11yViolations = async (page: Page): Promise<AxeViolation[]> => {
  await page.evaluate(AXE_SOURCE);
  // A string, run in the page: the test program has no DOM types, the page has the DOM.
  const violations = await page.evaluate<AxeViolation[]>(`axe
    .run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    })
    .then((result) =>
      result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(' ')),
      })),
    )`);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
};
