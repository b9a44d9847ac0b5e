import { Counter, Gauge, type Registry } from 'prom-client';
import { loadConfig, type Config } from '../infra/config/config';
import type { ConfigSource } from '../infra/config/config-source';
import { FileConfigSource } from '../infra/config/file-config-source';
import { LiveConfig } from '../infra/config/live-config';
import { createLogger } from '../infra/logging/logger';
import { NacosConfigClient, NacosError } from '../infra/nacos/nacos-config-client';
import { NacosConfigSource } from '../infra/nacos/nacos-config-source';
import { reach, SERVER_STARTUP_ATTEMPTS, withAttempts } from './lifecycle';

/** Configuration changes, by `result` (applied, rejected) (counter). */
export const CONFIG_CHANGES_TOTAL = 'couponkill_config_changes_total';
/** Restart-only settings a live layer changed, waiting for a restart (gauge). */
export const CONFIG_PENDING_RESTART_SETTINGS = 'couponkill_config_pending_restart_settings';
/** 1, labelled with the `version` of the configuration in force (gauge). */
export const CONFIG_INFO = 'couponkill_config_info';
/** Unix time in seconds when the configuration in force was applied (gauge). */
export const CONFIG_APPLIED_TIMESTAMP_SECONDS = 'couponkill_config_applied_timestamp_seconds';

/** The live sources the environment names: COUPONKILL_CONFIG_FILE, then Nacos (the later layer wins). */
const sourcesOf = (config: Config): ConfigSource[] => {
  const sources: ConfigSource[] = [];
  if (config.liveSources.file) sources.push(new FileConfigSource(config.liveSources.file));
  const nacos = config.liveSources.nacos;
  if (nacos)
    sources.push(
      new NacosConfigSource(
        new NacosConfigClient({
          serverAddrs: nacos.serverAddrs,
          namespace: nacos.namespace,
          contextPath: nacos.contextPath,
          credentials: nacos.credentials,
        }),
        { dataId: nacos.dataId, group: nacos.group },
      ),
    );
  return sources;
};

/**
 * A server's configuration: the environment, then the live layers it names, read once (Nacos is waited for like any
 * dependency: a server does not start on a configuration other than the one its operators published), validated as
 * a whole. Throws ConfigError for a bad setting in any layer, UnreachableDependencyError when Nacos never answers.
 */
export const openLiveConfiguration = async (
  env: NodeJS.ProcessEnv,
  role: string,
  attempts = SERVER_STARTUP_ATTEMPTS,
): Promise<LiveConfig> => {
  const base = loadConfig(env);
  const sources = sourcesOf(base);
  const nacos = base.liveSources.nacos;
  const logger = createLogger(base.logLevel, role);
  const opened: { live?: LiveConfig } = {};
  await withAttempts(
    logger,
    attempts,
    async () => {
      try {
        opened.live = await LiveConfig.open(env, sources, () => logger);
      } catch (error) {
        // Only a Nacos that does not answer is waited for; a bad setting in any layer fails at once.
        if (!(error instanceof NacosError) || !nacos) throw error;
        await reach('Nacos', `http://${nacos.serverAddrs.join(',')}`, 'COUPONKILL_NACOS_SERVER_ADDR', () =>
          Promise.reject(error),
        );
      }
    },
    () => undefined,
  );
  logger.flush();
  if (!opened.live) throw new Error('the configuration was not opened');
  return opened.live;
};

/** The live configuration's state on /metrics. */
export const liveConfigMetrics = (live: LiveConfig, registry: Registry): void => {
  new Counter({
    name: CONFIG_CHANGES_TOTAL,
    help: 'Live configuration changes: applied, or rejected (invalid, or refused by the part that applies it)',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      const { applied, rejected } = live.status();
      this.reset();
      this.inc({ result: 'applied' }, applied);
      this.inc({ result: 'rejected' }, rejected);
    },
  });
  new Gauge({
    name: CONFIG_PENDING_RESTART_SETTINGS,
    help: 'Restart-only settings a live layer changed: they take effect at the next restart',
    registers: [registry],
    collect() {
      this.set(live.status().pendingRestart.length);
    },
  });
  new Gauge({
    name: CONFIG_INFO,
    help: 'The configuration in force: 1, labelled with its version (each layer and its content hash)',
    labelNames: ['version'],
    registers: [registry],
    collect() {
      this.reset();
      this.set({ version: live.status().version }, 1);
    },
  });
  new Gauge({
    name: CONFIG_APPLIED_TIMESTAMP_SECONDS,
    help: 'Unix time when the configuration in force was applied (the start, or the last applied change)',
    registers: [registry],
    collect() {
      this.set(Date.parse(live.status().appliedAt) / 1000);
    },
  });
};
