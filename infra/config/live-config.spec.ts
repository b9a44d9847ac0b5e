import type { Config } from './config';
import type { ConfigLayer, ConfigSource } from './config-source';
import { ConfigSyntaxError, parseSettings } from './config-source';
import { LiveConfig } from './live-config';

/** A source the test drives: `publish` delivers a layer as a watched source would. */
class ScriptedSource implements ConfigSource {
  readonly name = 'scripted';
  private onChange: ((layer: ConfigLayer) => void) | null = null;
  private onError: ((error: Error) => void) | null = null;
  private version = 0;

  constructor(private entries: Record<string, string> = {}) {}

  load(): Promise<ConfigLayer> {
    return Promise.resolve(this.layer());
  }

  watch(onChange: (layer: ConfigLayer) => void, onError: (error: Error) => void): void {
    this.onChange = onChange;
    this.onError = onError;
  }

  publish(entries: Record<string, string>): void {
    this.entries = entries;
    this.onChange?.(this.layer());
  }

  fail(error: Error): void {
    this.onError?.(error);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private layer(): ConfigLayer {
    this.version += 1;
    return { source: this.name, version: `v${String(this.version)}`, entries: { ...this.entries } };
  }
}

const ENV = {
  COUPONKILL_JWT_SECRET: 'a-secret-of-enough-length-0123456789',
  COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND: '5',
};

const open = async (entries: Record<string, string> = {}) => {
  const source = new ScriptedSource(entries);
  const live = await LiveConfig.open(ENV, [source]);
  live.watch();
  return { source, live };
};

describe('LiveConfig: layered, validated as a whole, applied all or nothing', () => {
  it('layers defaults < environment < live source', async () => {
    const { live } = await open({ COUPONKILL_LOG_LEVEL: 'debug' });
    expect(live.current.logLevel).toBe('debug');
    expect(live.current.admission.seckill.buyerClicksPerSecond).toBe(5);
    expect(live.current.readApiPort).toBe(8081);
  });

  it('applies a live change and tells every applier the old and new configuration', async () => {
    const { source, live } = await open();
    const seen: [number, number][] = [];
    live.onChange('limits', (next: Config, previous: Config) => {
      seen.push([
        previous.admission.seckill.buyerClicksPerSecond,
        next.admission.seckill.buyerClicksPerSecond,
      ]);
    });
    source.publish({ COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND: '1' });
    await live.settled();
    expect(seen).toEqual([[5, 1]]);
    expect(live.current.admission.seckill.buyerClicksPerSecond).toBe(1);
    expect(live.status()).toMatchObject({ applied: 1, rejected: 0, lastRejection: null });
  });

  it('rejects an invalid change whole, keeps the configuration in force and says why', async () => {
    const { source, live } = await open();
    const applier = jest.fn();
    live.onChange('limits', applier);
    source.publish({ COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND: '1', COUPONKILL_LOG_LEVEL: 'loud' });
    await live.settled();
    expect(applier).not.toHaveBeenCalled();
    expect(live.current.admission.seckill.buyerClicksPerSecond).toBe(5);
    expect(live.status().rejected).toBe(1);
    expect(live.status().lastRejection?.reason).toMatch(/COUPONKILL_LOG_LEVEL/);
  });

  it('rejects a layer naming something that is not a setting (a typo is not a silent no-op)', async () => {
    const { source, live } = await open();
    source.publish({ COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECND: '1' });
    await live.settled();
    expect(live.status().lastRejection?.reason).toMatch(
      /COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECND .*not a setting/,
    );
  });

  it('rolls back the appliers that ran when a later one refuses, and rejects the change', async () => {
    const { source, live } = await open();
    const calls: string[] = [];
    live.onChange('first', (next) => {
      calls.push(`first→${String(next.admission.seckill.buyerClicksPerSecond)}`);
    });
    live.onChange('second', () => {
      throw new Error('cannot reach the new Redis');
    });
    source.publish({ COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND: '2' });
    await live.settled();
    expect(calls).toEqual(['first→2', 'first→5']);
    expect(live.current.admission.seckill.buyerClicksPerSecond).toBe(5);
    expect(live.status().lastRejection?.reason).toBe('second: cannot reach the new Redis');
  });

  it('reports a restart-only change as pending and never applies it, while the live part applies', async () => {
    const { source, live } = await open();
    source.publish({ COUPONKILL_READ_API_PORT: '9999', COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND: '3' });
    await live.settled();
    expect(live.current.readApiPort).toBe(8081);
    expect(live.current.admission.seckill.buyerClicksPerSecond).toBe(3);
    expect(live.status().pendingRestart).toEqual(['COUPONKILL_READ_API_PORT']);
    // Taking the change back clears it.
    source.publish({ COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND: '3' });
    await live.settled();
    expect(live.status().pendingRestart).toEqual([]);
  });

  it('falls back to the environment when a live layer drops a setting', async () => {
    const { source, live } = await open({ COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND: '9' });
    expect(live.current.admission.seckill.buyerClicksPerSecond).toBe(9);
    source.publish({});
    await live.settled();
    expect(live.current.admission.seckill.buyerClicksPerSecond).toBe(5);
  });

  it('counts an unreadable layer as a rejection, and a source that cannot be read as an error only', async () => {
    const { source, live } = await open();
    source.fail(new ConfigSyntaxError('scripted', 'line 1 is not KEY=value: oops'));
    source.fail(new Error('connect ECONNREFUSED'));
    await live.settled();
    expect(live.status()).toMatchObject({ rejected: 1, sourceErrors: { scripted: 'connect ECONNREFUSED' } });
  });

  it('refuses to open on an invalid layer, naming the setting', async () => {
    await expect(
      LiveConfig.open(ENV, [new ScriptedSource({ COUPONKILL_REDIS_MODE: 'sentinel' })]),
    ).rejects.toThrow(/COUPONKILL_REDIS_SENTINELS: is required when COUPONKILL_REDIS_MODE=sentinel/);
  });
});

describe('parseSettings', () => {
  it('reads KEY=value lines like an env file: comments, quotes, export', () => {
    expect(parseSettings('s', '# rate\nexport A=1\nB="two words"\n\nC=3 # note\n')).toEqual({
      A: '1',
      B: 'two words',
      C: '3',
    });
  });

  it('refuses a line that is not an assignment, naming it', () => {
    expect(() => parseSettings('nacos x', 'A=1\nrate limit 5\n')).toThrow(
      /nacos x: line 2 is not KEY=value: rate limit 5/,
    );
  });
});

describe('LiveConfig: restart-only settings are validated too', () => {
  it('rejects a change whose restart-only part is invalid, though that part would not apply until a restart', async () => {
    const source = new ScriptedSource();
    const live = await LiveConfig.open(ENV, [source]);
    live.watch();
    source.publish({ COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND: '2', COUPONKILL_READ_WAIT_MS: '-5' });
    await live.settled();
    expect(live.status()).toMatchObject({ applied: 0, rejected: 1 });
    expect(live.status().lastRejection?.reason).toMatch(/COUPONKILL_READ_WAIT_MS/);
    expect(live.current.admission.seckill.buyerClicksPerSecond).toBe(5);
  });
});

describe('LiveConfig: irreversible appliers', () => {
  const topologyMoves = {
    changed: (next: Config, previous: Config) => next.redis.topology.mode !== previous.redis.topology.mode,
  };
  const storeMoves = {
    changed: (next: Config, previous: Config) => next.eventStore.url !== previous.eventStore.url,
  };

  it('runs an irreversible applier after every other one, whatever the order they were added in', async () => {
    const source = new ScriptedSource();
    const live = await LiveConfig.open(ENV, [source]);
    live.watch();
    const calls: string[] = [];
    live.onChange('topology', () => void calls.push('topology'), topologyMoves);
    live.onChange('limits', () => void calls.push('limits'));
    source.publish({ COUPONKILL_REDIS_MODE: 'cluster', COUPONKILL_REDIS_CLUSTER_NODES: '127.0.0.1:7000' });
    await live.settled();
    expect(calls).toEqual(['limits', 'topology']);
  });

  it('refuses a change that would move two irreversible things at once', async () => {
    const source = new ScriptedSource();
    const live = await LiveConfig.open(ENV, [source]);
    live.watch();
    const applier = jest.fn();
    live.onChange('redis topology', applier, topologyMoves);
    live.onChange('event store endpoint', applier, storeMoves);
    source.publish({
      COUPONKILL_REDIS_MODE: 'cluster',
      COUPONKILL_REDIS_CLUSTER_NODES: '127.0.0.1:7000',
      COUPONKILL_EVENT_STORE_URL: 'mysql://u:p@10.0.0.2:3306/couponkill_events',
    });
    await live.settled();
    expect(applier).not.toHaveBeenCalled();
    expect(live.status().lastRejection?.reason).toMatch(
      /redis topology and event store endpoint cannot change in one publish/,
    );
  });

  it('refuses a layer that tries to move the layers (Nacos and the config file are the environment’s)', async () => {
    const source = new ScriptedSource();
    const live = await LiveConfig.open(ENV, [source]);
    live.watch();
    source.publish({ COUPONKILL_NACOS_SERVER_ADDR: '10.0.0.9:8848' });
    await live.settled();
    expect(live.status().lastRejection?.reason).toMatch(
      /COUPONKILL_NACOS_SERVER_ADDR .*not a setting a live layer may hold/,
    );
  });
});
