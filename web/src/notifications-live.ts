import { useEffect, useState } from 'preact/hooks';
import type { Api } from './api/client';
import type { Notification } from './api/types';

/** How long to wait before reopening a stream the server ended or refused (its ticket lasts a minute). */
const REOPEN_MS = 2000;

export interface LiveNotifications {
  readonly unread: number;
  /** Notifications received live since the app opened, newest first. */
  readonly latest: readonly Notification[];
  /** Reads the unread count again (after marking some read). */
  readonly refresh: () => void;
}

/**
 * The buyer's notifications as they are decided: one EventSource on read-api's stream, opened with a ticket
 * (EventSource cannot send the bearer token) and resumed from the last cursor seen when it is reopened
 * (README, "Notifications": `?lastEventId=` replays what was missed, exactly once).
 */
export const useLiveNotifications = (api: Api, userId: string | null): LiveNotifications => {
  const [unread, setUnread] = useState(0);
  const [latest, setLatest] = useState<readonly Notification[]>([]);
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
    let stopped = false;
    const open = async (): Promise<void> => {
      try {
        const ticket = await api.streamTicket();
        if (stopped) return;
        const params = new URLSearchParams({ ticket });
        if (lastCursor !== null) params.set('lastEventId', lastCursor);
        source = new EventSource(`/api/v1/notifications/stream?${params.toString()}`);
        source.addEventListener('notification', (event) => {
          const message = event as MessageEvent<string>;
          const notification = JSON.parse(message.data) as Notification;
          lastCursor = message.lastEventId || notification.cursor;
          setLatest((list) => [notification, ...list].slice(0, 20));
          if (!notification.read) setUnread((n) => n + 1);
        });
        source.onerror = () => {
          // EventSource retries by itself while it can; once closed (expired ticket, server ended) we reopen.
          if (source?.readyState === EventSource.CLOSED) schedule();
        };
      } catch {
        schedule();
      }
    };
    const schedule = () => {
      source?.close();
      if (!stopped) timer = setTimeout(() => void open(), REOPEN_MS);
    };
    void open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
    };
  }, [api, userId]);

  return { unread, latest, refresh: () => setVersion((n) => n + 1) };
};
