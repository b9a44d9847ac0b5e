import { parseEnv } from 'node:util';

/**
 * One layer of settings above the environment, by variable name (`COUPONKILL_SECKILL_BUYER_CLICKS_PER_SECOND` →
 * `'5'`), as a source last read it. `version` names this content (Nacos: its MD5), so status and logs can say which
 * configuration is in force.
 */
export interface ConfigLayer {
  readonly source: string;
  readonly version: string;
  readonly entries: Readonly<Record<string, string>>;
}

/**
 * The port of a live configuration source (ARCHITECTURE, "config"). `load` reads the layer now (rejects when the
 * source cannot be read); `watch` calls `onChange` with each new layer after that (never with an unchanged one) and
 * `onError` once per failure to read it, retrying by itself; `close` stops watching.
 */
export interface ConfigSource {
  readonly name: string;
  load(): Promise<ConfigLayer>;
  watch(onChange: (layer: ConfigLayer) => void, onError: (error: Error) => void): void;
  close(): Promise<void>;
}

/** A layer's content could not be read as settings (not KEY=value lines). */
export class ConfigSyntaxError extends Error {
  constructor(source: string, reason: string) {
    super(`${source}: ${reason}`);
    this.name = 'ConfigSyntaxError';
  }
}

/**
 * Reads `KEY=value` lines the way Node reads an env file (`util.parseEnv`: `#` comments, quoted values, `export`
 * prefixes ignored): the format of COUPONKILL_CONFIG_FILE and of the Nacos data id (Nacos type `properties`). A line
 * that is neither blank, a comment nor an assignment is an error, not a setting silently dropped.
 */
export const parseSettings = (source: string, content: string): Record<string, string> => {
  const bad = content
    .split(/\r?\n/)
    .map((line, i) => ({ line: line.trim(), number: i + 1 }))
    .find(
      ({ line }) =>
        line !== '' && !line.startsWith('#') && !/^(export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/.test(line),
    );
  if (bad)
    throw new ConfigSyntaxError(source, `line ${bad.number} is not KEY=value: ${bad.line.slice(0, 80)}`);
  return parseEnv(content) as Record<string, string>;
};
