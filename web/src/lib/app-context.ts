import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import type { Session } from '../api/session';

export const ApiContext = createContext<Api | null>(null);

/** The one Api of the app, built in main.tsx. */
export const useApi = (): Api => {
  const api = useContext(ApiContext);
  if (api === null) throw new Error('useApi outside <ApiContext.Provider>');
  return api;
};

/** The current session, re-rendering on login, refresh and logout. */
export const useSession = (): Session | null => {
  const api = useApi();
  const [session, setSession] = useState(api.session.current());
  useEffect(() => api.session.subscribe(setSession), [api]);
  return session;
};
