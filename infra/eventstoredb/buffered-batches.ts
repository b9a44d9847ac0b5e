/** The part of a readable (object mode) that batching needs; a catch-up subscription is one. */
export interface BatchSource<Item> {
  on(event: 'data', listener: (item: Item) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  removeListener(event: 'data', listener: (item: Item) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'end' | 'close', listener: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
  isPaused(): boolean;
}

/**
 * Turns a readable of items (a catch-up subscription) into batches: waits for the first item, then takes whatever
 * else is already buffered, up to `maxBatch`, so a busy log is handled in large batches and a quiet one without
 * delay. Items received before a failure are delivered before the failure is thrown. Ends when `signal` aborts; a
 * source that ends on its own throws `ended()`, because a subscription never ends while its consumer still wants it.
 */
export async function* bufferedBatches<Item>(
  source: BatchSource<Item>,
  maxBatch: number,
  signal: AbortSignal,
  ended: () => Error,
): AsyncGenerator<Item[]> {
  if (!Number.isInteger(maxBatch) || maxBatch < 1)
    throw new RangeError('maxBatch must be a positive integer');
  // Past this many unhandled items the source is paused, so a slow consumer holds back the server (gRPC flow
  // control) instead of filling memory.
  const highWaterMark = maxBatch * 4;
  const buffered: Item[] = [];
  // Written by the listeners, read by the loop: an object, so the compiler does not narrow it between awaits.
  const state: { failure: { readonly error: unknown } | null; ended: boolean } = {
    failure: null,
    ended: false,
  };
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const waiting = wake;
    wake = null;
    waiting?.();
  };
  const onData = (item: Item): void => {
    buffered.push(item);
    if (buffered.length >= highWaterMark) source.pause();
    notify();
  };
  const onError = (error: unknown): void => {
    state.failure ??= { error };
    notify();
  };
  const onEnd = (): void => {
    state.ended = true;
    notify();
  };
  source.on('data', onData);
  source.on('error', onError);
  source.on('end', onEnd);
  source.on('close', onEnd);
  signal.addEventListener('abort', notify);
  try {
    for (;;) {
      while (buffered.length === 0 && state.failure === null && !state.ended && !signal.aborted)
        await new Promise<void>((resolve) => (wake = resolve));
      if (signal.aborted) return;
      if (buffered.length > 0) {
        const batch = buffered.splice(0, maxBatch);
        if (source.isPaused() && buffered.length < highWaterMark) source.resume();
        yield batch;
        continue;
      }
      if (state.failure !== null) throw state.failure.error;
      throw ended();
    }
  } finally {
    source.removeListener('data', onData);
    source.removeListener('error', onError);
    source.removeListener('end', onEnd);
    source.removeListener('close', onEnd);
    signal.removeEventListener('abort', notify);
  }
}
