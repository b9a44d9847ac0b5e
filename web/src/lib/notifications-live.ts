import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import type { Notification } from '../api/types';

/** Reopening a stream the server ended or refused backs off from 1 s to 30 s (its ticket lasts a minute). */
const REOPEN_MIN_MS = 1000;
const REOPEN_MAX_MS = 30_000;

export interface LiveNotifications {
  readonly unread: number;
  /** How many notifications arrived live since the app opened: pages showing notifications reload when it moves. */
  readonly arrived: number;
  /** Reads the unread count again (after marking some read). */
  readonly refresh: () => void;
}

export const LiveNotificationsContext = createContext<LiveNotifications>({
  unread: 0,
  arrived: 0,
  refresh: () => undefined,
});

/** The live notifications of the logged-in buyer, from the one stream the app keeps open. */
export const useLiveNotifications = (): LiveNotifications => useContext(LiveNotificationsContext);

/**
 * The buyer's notifications as they are decided: one EventSource on read-api's stream, opened with a ticket
 * (EventSource cannot send the bearer token) and resumed from the last cursor seen (README, "Notifications":
 * `?lastEventId=` replays what was missed, exactly once). Before the first opening that cursor is the newest
 * notification's, so nothing decided between reading the count and opening the stream is missed; each opening reads
 * the unread count again.
 */
export const useNotificationStream = (api: Api, userId: string | null): LiveNotifications => {
  const [unread, setUnread] = useState(0);
  const [arrived, setArrived] = useState(0);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    if (userId === null) return;
    let live = true;
    api.unreadCount().then(
      (count) => live && setUnread(count),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, userId, version]);

  useEffect(() => {
    if (userId === null) return;
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastCursor: string | null = null;
    let delay = REOPEN_MIN_MS;
    let stopped = false;
    const open = async (): Promise<void> => {
      try {
        if (lastCursor === null) lastCursor = (await api.notifications(null, 1)).items[0]?.cursor ?? '';
        const ticket = await api.streamTicket();
        if (stopped) return;
        const params = new URLSearchParams({ ticket });
        if (lastCursor !== '') params.set('lastEventId', lastCursor);
        source = new EventSource(`/api/v1/notifications/stream?${params.toString()}`);
        source.onopen = () => {
          delay = REOPEN_MIN_MS;
          setVersion((n) => n + 1);
        };
        source.addEventListener('notification', (event) => {
          const message = event as MessageEvent<string>;
          const notification = JSON.parse(message.data) as Notification;
          lastCursor = message.lastEventId || notification.cursor;
          setArrived((n) => n + 1);
          if (!notification.read) setUnread((n) => n + 1);
        });
        source.onerror = () => {
          // EventSource retries by itself while it can; once closed (expired ticket, server ended) we reopen.
          if (source?.readyState === EventSource.CLOSED) reopen();
        };
      } catch {
        reopen();
      }
    };
    const reopen = () => {
      source?.close();
      if (stopped) return;
      timer = setTimeout(() => void open(), delay);
      delay = Math.min(delay * 2, REOPEN_MAX_MS);
    };
    void open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
    };
  }, [api, userId]);

  return { unread, arrived, refresh: () => setVersion((n) => n + 1) };
};
