import { createHash } from 'node:crypto';
import { watch as watchFile, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { parseSettings, type ConfigLayer, type ConfigSource } from './config-source';

/**
 * COUPONKILL_CONFIG_FILE as a live layer: read at start, read again whenever its directory changes (a Kubernetes
 * ConfigMap volume swaps a symlink in the directory rather than writing the file, so the directory is what is
 * watched). A change is delivered when the content differs from the last delivered.
 */
export class FileConfigSource implements ConfigSource {
  readonly name: string;
  private watcher: FSWatcher | null = null;
  private lastVersion: string | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly path: string) {
    this.name = `file ${path}`;
  }

  async load(): Promise<ConfigLayer> {
    const content = await readFile(this.path, 'utf8');
    const version = createHash('md5').update(content).digest('hex');
    this.lastVersion = version;
    return { source: this.name, version, entries: parseSettings(this.name, content) };
  }

  watch(onChange: (layer: ConfigLayer) => void, onError: (error: Error) => void): void {
    const reread = () => {
      const before = this.lastVersion;
      this.load().then(
        (layer) => {
          if (layer.version !== before) onChange(layer);
        },
        (error: unknown) => onError(error instanceof Error ? error : new Error(String(error))),
      );
    };
    this.watcher = watchFile(dirname(this.path), (_event, name) => {
      if (name !== null && name !== basename(this.path) && !name.startsWith('..')) return;
      // Editors and ConfigMap updates write in several steps: read once they settle.
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(reread, 50);
    });
  }

  close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    return Promise.resolve();
  }
}
