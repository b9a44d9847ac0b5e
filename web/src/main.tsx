import { render } from 'preact';
import { Api, loadConfig } from './api/client';
import { SessionStore } from './api/session';
import { App } from './app';
import { ApiContext } from './lib/app-context';
import './styles.css';

/** How often to check whether the token should be renewed: at half its life (README, "Token lifetime and refresh"). */
const REFRESH_CHECK_MS = 30_000;

const keepTokenFresh = (api: Api): void => {
  const check = () => {
    const session = api.session.current();
    if (session === null) return;
    const half = session.issuedAtMs + (session.expiresAtMs - session.issuedAtMs) / 2;
    if (Date.now() >= half) void api.refresh().catch(() => undefined);
  };
  check();
  setInterval(check, REFRESH_CHECK_MS);
};

const root = document.getElementById('app') ?? document.body;
loadConfig().then(
  (config) => {
    const api = new Api(config, new SessionStore(sessionStorage));
    keepTokenFresh(api);
    render(
      <ApiContext.Provider value={api}>
        <App />
      </ApiContext.Provider>,
      root,
    );
  },
  () => {
    root.innerHTML =
      '<main id="main"><h1>CouponKill cannot start</h1><p role="alert">The service did not answer. Reload the page in a moment.</p></main>';
  },
);
