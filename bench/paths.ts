import { join, resolve } from 'node:path';

/** The repository root: this file runs as dist/bench/paths.js. */
export const REPO_ROOT = resolve(__dirname, '..', '..');
export const CLI = resolve(REPO_ROOT, 'bin', 'couponkill.js');
export const SERVICES_SCRIPT = resolve(REPO_ROOT, 'scripts', 'services.sh');
/** Compiled bench entry points, started as their own processes. */
export const LOAD_GENERATOR = resolve(__dirname, 'load', 'load-generator.js');
export const BASELINE_SERVER = resolve(__dirname, 'baselines', 'baseline-server.js');
/** The compiled CLI of a built checkout (this one, or another one measured as a baseline). */
export const cliOfBuild = (dir: string): string => join(dir, 'dist', 'bin', 'cli.js');
