import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig, loadEnvFile } from '../infra/config/config';
import { startWriteApi } from '../write-api/write-api-process';
import { runGateRebuild, runReconcileOnce, runUserCreate, runMigrate } from './write-side-tasks';

const program = new Command()
  .name('couponkill')
  .description('CouponKill: event-sourced flash sales for coupons')
  .option('--dotenv <path>', 'read settings from this env file (variables already set win)', '.env')
  .showHelpAfterError()
  .configureOutput({ outputError: (message, write) => write(`couponkill: ${message}`) });

const config = () => {
  loadEnvFile(program.opts<{ dotenv: string }>().dotenv);
  return loadConfig(process.env);
};

program
  .command('write-api')
  .description('serve the write API (commands: users, coupons, seckill, orders)')
  .option('--port <port>', 'port to listen on (default: COUPONKILL_WRITE_API_PORT or 8080)', parsePort)
  .action(async (options: { port?: number }) => {
    const api = await startWriteApi(config(), options.port);
    const shutdown = (): void => {
      void api.stop().then(() => process.exit(0));
    };
    process.once('SIGTERM', shutdown).once('SIGINT', shutdown);
  });

program
  .command('migrate')
  .description('create the event store schema')
  .action(() => runMigrate(config()));

program
  .command('rebuild-stock')
  .description('rebuild the Redis stock gate from the event store (sales pause while it runs)')
  .action(() => runGateRebuild(config()));

program
  .command('reconcile')
  .description('settle reservations older than the grace period once, then exit')
  .action(() => runReconcileOnce(config()));

program
  .command('create-user')
  .description('register a user (or an administrator)')
  .requiredOption('--username <name>', 'username')
  .requiredOption('--password <password>', 'password (8 characters or more)')
  .option('--admin', 'give the user the admin role', false)
  .action((options: { username: string; password: string; admin: boolean }) =>
    runUserCreate(config(), options),
  );

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('must be a port number from 0 to 65535');
  return port;
}

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`couponkill: ${error.message}\n`);
    process.exit(78);
  }
  process.stderr.write(`couponkill: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
