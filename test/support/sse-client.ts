import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One Server-Sent Event as a browser's EventSource would see it, with the time it arrived. */
export interface ReceivedEvent {
  readonly id: string | undefined;
  readonly event: string | undefined;
  readonly data: string;
  readonly at: number;
}

export interface SseStream {
  readonly status: number;
  readonly headers: Headers;
  /** Every event so far, in order. */
  readonly events: ReceivedEvent[];
  /** Comment lines so far (heartbeats). */
  readonly comments: string[];
  /** Resolves once `count` events have arrived in all (or rejects after `timeoutMs`). */
  until(count: number, timeoutMs?: number): Promise<ReceivedEvent[]>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/**
 * Opens an event stream with fetch and parses it with eventsource-parser (the parser of the WHATWG EventSource
 * algorithm): what a browser would dispatch, plus the comments a browser ignores. A non-200 answer is returned with
 * its JSON body in `error` and no events.
 */
export const openStream = async (
  url: string,
  headers: Record<string, string> = {},
): Promise<SseStream & { readonly error?: unknown }> => {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const events: ReceivedEvent[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  if (response.status !== 200) {
    const error: unknown = await response.json();
    return {
      status: response.status,
      headers: response.headers,
      events,
      comments,
      error,
      until: () => Promise.reject(new Error(`the stream answered ${String(response.status)}`)),
      ended: Promise.resolve(),
      close: () => abort.abort(),
    };
  }
  const parser = createParser({
    onEvent: (message: EventSourceMessage) => {
      events.push({ id: message.id, event: message.event, data: message.data, at: Date.now() });
      for (const waiter of waiters) waiter();
    },
    onComment: (comment) => comments.push(comment),
  });
  const body = response.body;
  if (!body) throw new Error('the stream has no body');
  const ended = (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    } catch {
      // Closed by us.
    }
    for (const waiter of waiters) waiter();
  })();
  let done = false;
  void ended.then(() => (done = true));
  return {
    status: response.status,
    headers: response.headers,
    events,
    comments,
    ended,
    close: () => abort.abort(),
    until: (count, timeoutMs = 10_000) =>
      new Promise<ReceivedEvent[]>((resolve, reject) => {
        const check = () => {
          if (events.length >= count) {
            cleanup();
            resolve(events.slice(0, count));
          } else if (done) {
            cleanup();
            reject(new Error(`the stream ended after ${String(events.length)} of ${String(count)} events`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `only ${String(events.length)} of ${String(count)} events within ${String(timeoutMs)} ms`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
};
