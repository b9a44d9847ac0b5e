import type { Logger } from 'pino';
import { ConfigError, isSettingName, LIVE_SETTINGS, loadConfig, type Config } from './config';
import { ConfigSyntaxError, type ConfigLayer, type ConfigSource } from './config-source';

/**
 * Puts a new configuration into effect in one part of the process (a rate limiter, the stock gate's Redis). It
 * rejects (throws) when it cannot; then every part that applied the change already is called again with the roles
 * swapped, so the process stays wholly on the previous configuration.
 */
export type ConfigApplier = (next: Config, previous: Config, version: string) => Promise<void> | void;

/**
 * An applier that cannot be undone once it did its work (moving the stock gate to another Redis fences the old one):
 * it must refuse only before changing anything, it runs after every other applier, and one change may move at most
 * one such thing. `changed` says whether a change moves it; the applier is called only then, so it need not ask again.
 */
export interface Irreversible {
  readonly changed: (next: Config, previous: Config) => boolean;
}

/** A change that was not applied, and why. */
export interface ConfigRejection {
  readonly version: string;
  readonly reason: string;
  /** ISO 8601. */
  readonly at: string;
}

/** What `/configz` shows: the configuration in force, the last rejection, and changes waiting for a restart. */
export interface ConfigStatus {
  /** Names the configuration in force: `env` plus each live layer's source and version. */
  readonly version: string;
  /** ISO 8601: when it came into force (the start, or the last applied change). */
  readonly appliedAt: string;
  readonly layers: readonly { readonly source: string; readonly version: string }[];
  readonly applied: number;
  readonly rejected: number;
  readonly lastRejection: ConfigRejection | null;
  /** Restart-only settings a live layer changed: they keep their running value until the process restarts. */
  readonly pendingRestart: readonly string[];
  /** Sources that could not be read lately (they are retried; their last good layer stays in force). */
  readonly sourceErrors: Readonly<Record<string, string>>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Where the live layers are is read from the environment only: a layer cannot move itself or another layer. */
const ENVIRONMENT_ONLY = /^COUPONKILL_(NACOS_|CONFIG_FILE$)/;

/**
 * What a layer names that it may not: something other than a setting (a typo must not be a silent no-op), or a
 * setting of where the layers are.
 */
const unknownSettings = (layer: ConfigLayer): string[] =>
  Object.keys(layer.entries).filter((name) => !isSettingName(name) || ENVIRONMENT_ONLY.test(name));

const problemsOf = (error: unknown): string =>
  error instanceof ConfigError
    ? error.problems.join('; ')
    : error instanceof Error
      ? error.message
      : String(error);

/**
 * The configuration as layers, defaults < environment (with its env file) < COUPONKILL_CONFIG_FILE < Nacos, validated
 * as a whole by the settings schema each time any layer changes (ARCHITECTURE, "config"). A change is applied only
 * when the whole validates and every applier accepts it; otherwise it is rejected with its reason (log, `/configz`,
 * `couponkill_config_changes_total{result="rejected"}`) and the previous configuration stays in force. Only settings
 * in LIVE_SETTINGS change in a running process; a change to any other is listed as pending a restart, never
 * half-applied. Changes are applied one at a time, each from the newest layers.
 */
export class LiveConfig {
  private layers: ConfigLayer[];
  private running: Env;
  private config: Config;
  private readonly appliers: {
    readonly name: string;
    readonly apply: ConfigApplier;
    readonly irreversible: Irreversible | null;
  }[] = [];
  private queue: Promise<void> = Promise.resolve();
  private appliedAt = new Date();
  private applied = 0;
  private rejected = 0;
  private lastRejection: ConfigRejection | null = null;
  private pendingRestart: string[] = [];
  private readonly sourceErrors = new Map<string, string>();
  private readonly listeners: ((config: Config) => void)[] = [];

  private constructor(
    private readonly env: Env,
    private readonly sources: readonly ConfigSource[],
    layers: ConfigLayer[],
    private logger: () => Logger | null,
  ) {
    this.layers = layers;
    for (const layer of layers) {
      const unknown = unknownSettings(layer);
      if (unknown.length > 0)
        throw new ConfigError(
          unknown.map((name) => `${name} (in ${layer.source}): not a setting a live layer may hold`),
        );
    }
    this.running = this.merge(layers);
    this.config = loadConfig(this.running);
  }

  /**
   * Reads every source once and validates the whole. Rejects with the source's own error when one cannot be read, and
   * with a ConfigError naming each bad setting when the whole does not validate (a process does not start on a
   * configuration it would refuse live).
   */
  static async open(
    env: Env,
    sources: readonly ConfigSource[],
    logger: () => Logger | null = () => null,
  ): Promise<LiveConfig> {
    const layers: ConfigLayer[] = [];
    for (const source of sources) layers.push(await source.load());
    return new LiveConfig(env, sources, layers, logger);
  }

  /** The configuration in force now. */
  get current(): Config {
    return this.config;
  }

  /** Logs go to this logger from now on (the process's, once its container is built). */
  useLogger(logger: Logger): void {
    this.logger = () => logger;
  }

  /** Adds a part that applies changes (called in the order added; irreversible ones after all the others). */
  onChange(name: string, apply: ConfigApplier, irreversible: Irreversible | null = null): void {
    this.appliers.push({ name, apply, irreversible });
  }

  /** Called after each applied change (metrics, status). */
  onApplied(listener: (config: Config) => void): void {
    this.listeners.push(listener);
  }

  /** Starts watching every source. */
  watch(): void {
    this.sources.forEach((source, index) => {
      source.watch(
        (layer) => this.changed(index, layer),
        (error) => {
          if (error instanceof ConfigSyntaxError) {
            this.enqueue(() => {
              this.reject(`${source.name}:unreadable`, error.message);
              return Promise.resolve();
            });
            return;
          }
          if (this.sourceErrors.get(source.name) !== error.message)
            this.logger()?.warn(
              { source: source.name, reason: error.message },
              `cannot read the configuration from ${source.name}; keeping the one in force and retrying`,
            );
          this.sourceErrors.set(source.name, error.message);
        },
      );
    });
  }

  /** Resolves when every change received so far has been applied or rejected. */
  settled(): Promise<void> {
    return this.queue;
  }

  status(): ConfigStatus {
    return {
      version: this.version(this.layers),
      appliedAt: this.appliedAt.toISOString(),
      layers: this.layers.map(({ source, version }) => ({ source, version })),
      applied: this.applied,
      rejected: this.rejected,
      lastRejection: this.lastRejection,
      pendingRestart: [...this.pendingRestart],
      sourceErrors: Object.fromEntries(this.sourceErrors),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.sources.map((source) => source.close()));
    await this.queue;
  }

  private changed(index: number, layer: ConfigLayer): void {
    const source = this.sources[index];
    if (source) this.sourceErrors.delete(source.name);
    this.enqueue(() => this.apply(index, layer));
  }

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(step).catch((error: unknown) => {
      this.logger()?.error({ err: error }, 'applying a configuration change failed unexpectedly');
    });
  }

  private async apply(index: number, layer: ConfigLayer): Promise<void> {
    const layers = this.layers.map((old, i) => (i === index ? layer : old));
    const version = this.version(layers);
    const unknown = unknownSettings(layer);
    if (unknown.length > 0) {
      this.reject(version, `${unknown.join(', ')} (in ${layer.source}): not a setting a live layer may hold`);
      return;
    }
    const desired = this.merge(layers);
    // The whole is validated as published, restart-only settings included: a bad value is refused now, not at the
    // next restart.
    try {
      loadConfig(desired);
    } catch (error) {
      this.reject(version, problemsOf(error));
      return;
    }
    const names = new Set([...Object.keys(desired), ...Object.keys(this.running)]);
    const pending: string[] = [];
    const effective: Record<string, string | undefined> = { ...desired };
    let liveChanges = 0;
    for (const name of names) {
      if (desired[name] === this.running[name]) continue;
      if (isSettingName(name) && LIVE_SETTINGS.has(name)) liveChanges += 1;
      else {
        // Restart-only (ports, the event store's kind, ...): reported, and kept at its running value.
        if (isSettingName(name)) pending.push(name);
        effective[name] = this.running[name];
      }
    }
    let next: Config;
    try {
      next = loadConfig(effective);
    } catch (error) {
      this.reject(version, problemsOf(error));
      return;
    }
    const previous = this.config;
    const done: ConfigApplier[] = [];
    const moving = this.appliers.filter(({ irreversible }) => irreversible?.changed(next, previous));
    if (moving.length > 1) {
      this.reject(
        version,
        `${moving.map(({ name }) => name).join(' and ')} cannot change in one publish: change one, then the other`,
      );
      return;
    }
    const ordered = [...this.appliers.filter(({ irreversible }) => !irreversible), ...moving];
    if (liveChanges > 0) {
      for (const { name, apply } of ordered) {
        try {
          await apply(next, previous, version);
          done.push(apply);
        } catch (error) {
          for (const undo of done.reverse())
            await Promise.resolve(undo(previous, next, this.version(this.layers))).catch(
              (undoError: unknown) =>
                this.logger()?.error(
                  { err: undoError, part: name },
                  'rolling a configuration change back failed',
                ),
            );
          this.reject(version, `${name}: ${problemsOf(error)}`);
          return;
        }
      }
    }
    this.layers = layers;
    this.running = effective;
    this.config = next;
    this.pendingRestart = pending.sort();
    if (liveChanges > 0) {
      this.applied += 1;
      this.appliedAt = new Date();
      this.logger()?.info(
        { version, pendingRestart: this.pendingRestart },
        `configuration ${version} applied`,
      );
      for (const listener of this.listeners) listener(next);
    }
    if (pending.length > 0)
      this.logger()?.warn(
        { version, settings: pending },
        `restart-only settings changed (${pending.join(', ')}): they take effect at the next restart`,
      );
  }

  private reject(version: string, reason: string): void {
    this.rejected += 1;
    this.lastRejection = { version, reason, at: new Date().toISOString() };
    this.logger()?.warn(
      { version, reason },
      `configuration ${version} rejected, the previous one stays in force: ${reason}`,
    );
  }

  private merge(layers: readonly ConfigLayer[]): Env {
    return Object.assign({}, this.env, ...layers.map((layer) => layer.entries)) as Env;
  }

  private version(layers: readonly ConfigLayer[]): string {
    return ['env', ...layers.map((layer) => `${layer.source}@${layer.version.slice(0, 12)}`)].join('+');
  }
}
