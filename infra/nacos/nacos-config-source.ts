import { setTimeout as sleep } from 'node:timers/promises';
import { parseSettings, type ConfigLayer, type ConfigSource } from '../config/config-source';
import { nacosMd5, type NacosConfigClient, type NacosConfigKey } from './nacos-config-client';

/** The shortest time between two polls of the listener, in ms. */
const MIN_POLL_MS = 100;

export interface NacosSourceOptions {
  /** How long one listener request is held by Nacos, in ms (the official clients use 30 000). */
  readonly longPollMs?: number;
  /** Wait after a failed read before the next, doubling up to `maxBackoffMs`. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
}

/**
 * A Nacos data id (KEY=value lines, Nacos type `properties`) as the live layer of the configuration. A data id Nacos
 * does not hold is an empty layer (nothing overridden). Changes arrive through the listener's long poll, so a publish
 * reaches every process within Nacos' push time (tens of ms), not a polling interval.
 */
export class NacosConfigSource implements ConfigSource {
  readonly name: string;
  private readonly stop = new AbortController();
  private md5 = '';
  private watching: Promise<void> | null = null;

  constructor(
    private readonly client: NacosConfigClient,
    private readonly key: NacosConfigKey,
    private readonly options: NacosSourceOptions = {},
  ) {
    this.name = `nacos ${key.group}/${key.dataId}`;
  }

  async load(): Promise<ConfigLayer> {
    const content = await this.client.get(this.key, this.stop.signal);
    this.md5 = nacosMd5(content);
    return this.layerOf(content);
  }

  watch(onChange: (layer: ConfigLayer) => void, onError: (error: Error) => void): void {
    const { longPollMs = 30_000, backoffMs = 500, maxBackoffMs = 10_000 } = this.options;
    this.watching = (async () => {
      let wait = backoffMs;
      while (!this.isStopped()) {
        const polled = Date.now();
        try {
          if (await this.client.changedSince(this.key, this.md5, longPollMs, this.stop.signal)) {
            const content = await this.client.get(this.key, this.stop.signal);
            const md5 = nacosMd5(content);
            if (md5 !== this.md5) {
              this.md5 = md5;
              // A layer that is not KEY=value lines still moves the MD5 on, so it is reported once, not every poll.
              let layer: ConfigLayer;
              try {
                layer = this.layerOf(content);
              } catch (error) {
                onError(error as Error);
                continue;
              }
              onChange(layer);
            }
          }
          wait = backoffMs;
          // A server that answers a long poll at once (or says "changed" for the same content) must not make this a
          // busy loop.
          if (Date.now() - polled < MIN_POLL_MS)
            await sleep(MIN_POLL_MS, undefined, { signal: this.stop.signal }).catch(() => undefined);
        } catch (error) {
          if (this.isStopped()) return;
          onError(error instanceof Error ? error : new Error(String(error)));
          await sleep(wait, undefined, { signal: this.stop.signal }).catch(() => undefined);
          wait = Math.min(wait * 2, maxBackoffMs);
        }
      }
    })();
  }

  private isStopped(): boolean {
    return this.stop.signal.aborted;
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.watching;
  }

  private layerOf(content: string | null): ConfigLayer {
    return {
      source: this.name,
      version: nacosMd5(content) || 'none',
      entries: content === null ? {} : parseSettings(this.name, content),
    };
  }
}
