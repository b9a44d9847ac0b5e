import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface PackageFound {
  readonly root: string;
  readonly version: string;
}

/**
 * The couponkill package this file was built from: the nearest folder above it (dist/infra/ when compiled, infra/
 * under ts-jest; the image keeps the same layout) whose package.json is couponkill's; null when there is none.
 */
const findPackage = (): PackageFound | null => {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const { name, version } = JSON.parse(readFileSync(file, 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (name === 'couponkill' && typeof version === 'string') return { root: dir, version };
    }
    if (dirname(dir) === dir) return null;
  }
};

/** The version of the package this file was built from: package.json above dist/bin/ (also in the image). */
export const packageVersion = (): string => findPackage()?.version ?? 'unknown';

/**
 * The package's root folder (where package.json is), for files shipped beside the code such as the built web app
 * (`web/dist`); the current directory when no couponkill package.json is found above this file.
 */
export const packageRoot = (): string => findPackage()?.root ?? process.cwd();
