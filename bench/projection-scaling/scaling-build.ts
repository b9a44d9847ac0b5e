import { execFileSync } from 'node:child_process';
import { cliOfBuild, REPO_ROOT } from '../paths';

/** The roles the scale-out stage runs. */
export type ScalingRole = 'relay' | 'projector' | 'read-api';

/** Which design a build is: partitioned projection streams (this build) or the one stream before them. */
export type ScalingDesign = 'partitioned' | 'previous';

/**
 * How to run the roles of one build of CouponKill: the two designs differ in their CLI flags, in how a role is told
 * its listener's port, and in the bus layout the relay leaves behind.
 */
export interface ScalingBuild {
  readonly design: ScalingDesign;
  /** The compiled CLI (`dist/bin/cli.js` of the checkout). */
  readonly cli: string;
  /** Short commit of the checkout, when it is a git work tree. */
  readonly commit: string | null;
  /** Flags before the command: no env file is read, so the environment the bench passes is the whole config. */
  readonly globalArgs: readonly string[];
  /** Partitions of each projection's stream; null for the one stream of the previous design. */
  readonly partitions: number | null;
  /** Settings every role of this build gets, besides the databases and the key prefix. */
  readonly commonEnv: NodeJS.ProcessEnv;
  /**
   * Env that puts the role's listener on `port`: the one that answers `/readyz` and, for read-api,
   * `/api/v1/projections/lag`.
   */
  listenOn(role: ScalingRole, port: number): NodeJS.ProcessEnv;
}

/** The partition count of the measured configurations: the default, so the figures are what a deployment gets. */
export const SCALING_PARTITIONS = 16;

const commitOf = (dir: string): string | null => {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
};

/**
 * This checkout: each role's ops listener is `COUPONKILL_OPS_PORT`; read-api serves its API on another port and the
 * lag, computed fresh for every call, on the ops listener.
 */
export const currentBuild = (readApiPort: number): ScalingBuild => ({
  design: 'partitioned',
  cli: cliOfBuild(REPO_ROOT),
  commit: commitOf(REPO_ROOT),
  globalArgs: ['--no-dotenv'],
  partitions: SCALING_PARTITIONS,
  commonEnv: { COUPONKILL_PROJECTION_PARTITIONS: String(SCALING_PARTITIONS) },
  listenOn: (role, port) => ({
    COUPONKILL_OPS_PORT: String(port),
    ...(role === 'read-api' ? { COUPONKILL_READ_API_PORT: String(readApiPort) } : {}),
  }),
});

/** Port settings of the build before ops listeners: relay and projector listen on a port of their own, read-api on its API port. */
const PREVIOUS_PORT_SETTING: Record<ScalingRole, string> = {
  relay: 'COUPONKILL_RELAY_PORT',
  projector: 'COUPONKILL_PROJECTOR_PORT',
  'read-api': 'COUPONKILL_READ_API_PORT',
};

/**
 * A checkout of commit 2ce262f or thereabouts, before partitioned projections: one Redis stream `<prefix>:bus:events`
 * read by one projector replica per read model. Its CLI reads `.env` unless told another file; a path that does not
 * exist makes it read none (it only reads a file that exists).
 */
export const previousBuild = (dir: string): ScalingBuild => ({
  design: 'previous',
  cli: cliOfBuild(dir),
  commit: commitOf(dir),
  globalArgs: ['--dotenv', '/nonexistent'],
  partitions: null,
  commonEnv: {},
  listenOn: (role, port) => ({ [PREVIOUS_PORT_SETTING[role]]: String(port) }),
});
