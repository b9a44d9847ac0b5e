import { setTimeout as sleep } from 'node:timers/promises';
import { DependencyUnavailableError } from '../../commands/dependency-error';

interface StartableClient {
  startup(): Promise<void>;
  shutdown(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 10_000;
const ATTEMPTS = 3;

/**
 * Starts a fresh client, and another if it does not come up in time: the client waits for the proxy's first settings
 * on its telemetry stream without a deadline, and now and then that message never comes.
 */
export const startClient = async <Client extends StartableClient>(create: () => Client): Promise<Client> => {
  let lastError: unknown;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const client = create();
    const timeout = new AbortController();
    try {
      await Promise.race([
        client.startup(),
        sleep(STARTUP_TIMEOUT_MS, undefined, { signal: timeout.signal }).then(() => {
          throw new Error(`the client did not start within ${STARTUP_TIMEOUT_MS} ms`);
        }),
      ]);
      return client;
    } catch (error) {
      lastError = error;
      await client.shutdown().catch(() => undefined);
    } finally {
      timeout.abort();
    }
  }
  throw new DependencyUnavailableError('RocketMQ', lastError);
};
