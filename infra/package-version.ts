import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The version of the package this file was built from: package.json above dist/bin/ (also in the image). */
export const packageVersion = (): string => {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const { name, version } = JSON.parse(readFileSync(file, 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (name === 'couponkill' && typeof version === 'string') return version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
};
