import type { SettingName } from '../../infra/config/config';

/** The command line itself is wrong (a flag, a file it names): exit status 2, like the tools users know. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The user left a prompt (Ctrl-C, Ctrl-D): exit status 130 (128 + SIGINT), as a shell reports Ctrl-C. */
export class InterruptedError extends Error {
  constructor() {
    super('interrupted');
    this.name = 'InterruptedError';
  }
}

/**
 * A dependency could not be reached: says which, where (host and port, never the credentials of its URL) and the
 * setting that points at it, so that the message alone tells what to fix.
 */
export class UnreachableDependencyError extends Error {
  constructor(
    readonly dependency: string,
    readonly address: string,
    readonly setting: SettingName,
    readonly reason: string,
    readonly attempts = 1,
  ) {
    super(
      `cannot reach ${dependency} at ${address} (${setting}): ${reason}` +
        (attempts > 1 ? ` (gave up after ${attempts} attempts)` : ''),
    );
    this.name = 'UnreachableDependencyError';
  }
}
