import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { asApiError, type ApiError } from '../api/api-error';
import { useApi } from './app-context';

export interface Loaded<T> {
  readonly data: T | null;
  readonly error: ApiError | null;
  readonly loading: boolean;
  readonly reload: () => void;
}

/** What a load is told: its abort signal, and whether it is a first load or a reload (true) or a poll (false). */
export interface LoadContext {
  readonly signal: AbortSignal;
  readonly first: boolean;
}

/**
 * Loads `load()` when `key` changes, and again every `pollMs` while the tab is visible (0: once); a hidden tab stops
 * polling and loads again when shown. A failed poll keeps the last data and shows the error; an answer for another
 * key, or one that arrives after a newer load began, is dropped.
 */
export const useLoad = <T>(
  load: (context: LoadContext) => Promise<T>,
  key: string,
  pollMs = 0,
): Loaded<T> => {
  const [state, setState] = useState<{
    key: string;
    data: T | null;
    error: ApiError | null;
    loading: boolean;
  }>({
    key,
    data: null,
    error: null,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => setTick((n) => n + 1), []);

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (isFirst: boolean): Promise<void> => {
      clearTimeout(timer);
      try {
        const data = await loadRef.current({ signal: controller.signal, first: isFirst });
        if (!controller.signal.aborted) setState({ key, data, error: null, loading: false });
      } catch (error) {
        if (controller.signal.aborted) return;
        setState((previous) => ({
          key,
          data: previous.key === key ? previous.data : null,
          error: asApiError(error),
          loading: false,
        }));
      }
      if (pollMs > 0 && !controller.signal.aborted && document.visibilityState === 'visible')
        timer = setTimeout(() => void run(false), pollMs);
    };
    const onVisible = () => {
      if (pollMs > 0 && document.visibilityState === 'visible') void run(false);
    };
    void run(true);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      controller.abort();
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [key, tick, pollMs]);

  const current = state.key === key;
  return {
    data: current ? state.data : null,
    error: current ? state.error : null,
    loading: current ? state.loading : true,
    reload,
  };
};

/** The server's time now (the API's clock, epoch ms), re-rendered every `everyMs`. */
export const useNow = (everyMs: number): number => {
  const api = useApi();
  const [now, setNow] = useState(api.clock.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(api.clock.now()), everyMs);
    return () => clearInterval(timer);
  }, [api, everyMs]);
  return now;
};

export interface Action {
  readonly busy: boolean;
  readonly error: ApiError | null;
  /** Runs `action` unless one is running; answers whether it succeeded. Never rejects. */
  readonly run: (action: () => Promise<unknown>) => Promise<boolean>;
  readonly clearError: () => void;
}

/** One button's request at a time, its failure kept to show as the API's message. */
export const useAction = (): Action => {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const running = useRef(false);
  const run = useCallback(async (action: () => Promise<unknown>): Promise<boolean> => {
    // Guarded by a ref, not the state: a second click before the next render must find it running.
    if (running.current) return false;
    running.current = true;
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (failure) {
      setError(asApiError(failure));
      return false;
    } finally {
      running.current = false;
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clearError: useCallback(() => setError(null), []) };
};

/** Sets the tab's title for the page shown. */
export const usePageTitle = (title: string): void => {
  useEffect(() => {
    document.title = `${title} · CouponKill`;
  }, [title]);
};
