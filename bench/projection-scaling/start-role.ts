import { join } from 'node:path';
import { BenchProcess } from '../bench-process';
import type { ScalingBuild, ScalingRole } from './scaling-build';

/** One role process of a scale-out configuration. */
export interface RoleSpec {
  readonly role: ScalingRole;
  /** Process name in logs and CPU figures; also the log file's name. */
  readonly name: string;
  /** The port of the role's listener (`/readyz`, and the lag for read-api). */
  readonly port: number;
  /** The configuration's environment: databases, key prefix, secrets. */
  readonly env: NodeJS.ProcessEnv;
  readonly logDir: string;
}

/** The listener of a role started with `spec`: `/readyz` and, for read-api, the lag JSON are under it. */
export const listenerUrl = (port: number): string => `http://127.0.0.1:${String(port)}`;

/** Starts a role of `build` as its own process; does not wait for it (see `waitReady`). */
export const startRole = (build: ScalingBuild, spec: RoleSpec): BenchProcess =>
  BenchProcess.start(
    spec.name,
    [build.cli, ...build.globalArgs, spec.role],
    { ...spec.env, ...build.commonEnv, ...build.listenOn(spec.role, spec.port) },
    join(spec.logDir, `${spec.name}.log`),
  );

/** Waits until the role answers `/readyz` (each of its dependencies reachable); fails when it exits first. */
export const waitReady = (process: BenchProcess, port: number): Promise<void> =>
  process.waitHealthy(`${listenerUrl(port)}/readyz`);
