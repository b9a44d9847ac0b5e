import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig, loadEnvFile, type Config, type ProcessRole } from '../infra/config/config';
import { PROJECTION_NAMES, type ProjectionName } from '../projections/projection';
import { registerOperatorCommand } from './operator-command';
import { startRoles, startWriteApi, type Roles } from './process';
import { printStream, runReplay } from './tasks/read-side-tasks';
import { runGateRebuild, runMigrate, runReconcileOnce, runUserCreate } from './tasks/write-side-tasks';

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

const serve = (roles: (settings: Config) => Roles, name: ProcessRole) => async () => {
  const settings = config();
  const running = await startRoles(settings, roles(settings), name);
  const shutdown = (): void => {
    void running.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown).once('SIGINT', shutdown);
};

program
  .command('read-api')
  .description('serve the read API (coupons, orders, stats) and projection lag')
  .action(serve((c) => ({ readApi: c.readApiPort }), 'read-api'));

program
  .command('relay')
  .description('publish every event of the event store to the bus, from the checkpoint on')
  .action(serve(() => ({ relay: true }), 'relay'));

program
  .command('projector')
  .description('build read models from the bus')
  .option('--projection <name>', `${PROJECTION_NAMES.join('|')}|all`, parseProjections, [...PROJECTION_NAMES])
  .action((options: { projection: ProjectionName[] }) =>
    serve(() => ({ projectors: options.projection }), 'projector')(),
  );

program
  .command('all-in-one')
  .description('every role in one process: write-api, relay, projectors, read-api (for local use)')
  .action(
    serve(
      (c) => ({
        writeApi: c.writeApiPort,
        readApi: c.readApiPort,
        relay: true,
        projectors: PROJECTION_NAMES,
      }),
      'all-in-one',
    ),
  );

program
  .command('replay')
  .description('rebuild read models from position 0 into new tables, then swap them in')
  .option('--projection <name>', `${PROJECTION_NAMES.join('|')}|all`, parseProjections, [...PROJECTION_NAMES])
  .option('--shards <count>', 'number of shards to build (default: COUPONKILL_READ_SHARDS)', parseShards)
  .option('--dry-run', 'read and count, write nothing', false)
  .action(async (options: { projection: ProjectionName[]; shards?: number; dryRun: boolean }) => {
    const settings = config();
    const reports = await runReplay(
      settings,
      options.projection,
      options.shards ?? settings.read.shards,
      options.dryRun,
    );
    process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  });

program
  .command('events')
  .description('print the events of one stream, one JSON object a line')
  .argument('<stream>', 'stream id, e.g. coupon-<id> or order-<id>')
  .action(async (stream: string) => {
    if ((await printStream(config(), stream)) === 0)
      process.stderr.write(`couponkill: stream ${stream} has no events\n`);
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

registerOperatorCommand(program);

function parseProjections(value: string): ProjectionName[] {
  if (value === 'all') return [...PROJECTION_NAMES];
  if ((PROJECTION_NAMES as readonly string[]).includes(value)) return [value as ProjectionName];
  throw new InvalidArgumentError(`must be one of ${PROJECTION_NAMES.join(', ')}, all`);
}

function parseShards(value: string): number {
  const shards = Number(value);
  if (!Number.isInteger(shards) || shards < 1 || shards > 64)
    throw new InvalidArgumentError('must be a whole number from 1 to 64');
  return shards;
}

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
