import { Command, InvalidArgumentError, Option, type Help, type AddHelpTextContext } from 'commander';
import { existsSync, statSync } from 'node:fs';
import {
  ConfigError,
  loadConfig,
  loadEnvFile,
  renderSettingsHelp,
  settingDefault,
  type Config,
  type ProcessRole,
  type SettingName,
} from '../infra/config/config';
import { packageVersion } from '../infra/package-version';
import { PROJECTION_NAMES, type ProjectionName } from '../projections/projection';
import { registerOpenApiCommand } from './openapi-command';
import { registerOperatorCommand } from './operator-command';
import type { Roles } from './process';
import { InterruptedError, UnreachableDependencyError, UsageError } from './tasks/cli-errors';
import { onShutdownSignals } from './shutdown-signals';
import { NEW_USER_PASSWORD_VARIABLE, PASSWORD_SOURCES, readNewPassword } from './tasks/password-input';

// Loaded by the commands that use them: --help, --version and a usage error need none of the drivers.
const processes = () => import('./process.js');
const readTasks = () => import('./tasks/read-side-tasks.js');
const writeTasks = () => import('./tasks/write-side-tasks.js');
const liveConfiguration = () => import('./live-configuration.js');

/** Exit statuses (sysexits.h where one fits), listed in the help and the README. */
const EXIT = { failed: 1, usage: 2, unavailable: 69, config: 78, interrupted: 130 } as const;

const DOTENV_RULES =
  'Settings come from environment variables. A .env file in the working directory is read when present; ' +
  '--dotenv <path> reads that file instead, and it must exist; --no-dotenv reads none. Variables already set in the ' +
  'environment win over the file.';

const EXIT_STATUS = `Exit status:
  0    done
  ${EXIT.failed}    the task failed (e.g. the username is taken)
  ${EXIT.usage}    usage: an unknown command or flag, a bad flag value, a --dotenv file
       missing, no password or a --password flag
  ${EXIT.unavailable}   a dependency cannot be reached: the message names its setting
  ${EXIT.config}   a setting is invalid: the message names each variable
  ${EXIT.interrupted}  interrupted at a password prompt`;

const helpWidth = (context: AddHelpTextContext): number =>
  (context.error ? process.stderr.columns : process.stdout.columns) || 80;

/** Help text after the options of every command that reads settings, and of the program: variables, dotenv, exit. */
const settingsHelp = (context: AddHelpTextContext): string => {
  const width = helpWidth(context);
  const rules = context.command
    .createHelp()
    .boxWrap(DOTENV_RULES, width - 2)
    .replaceAll(/^/gm, '  ');
  return `\nSettings:\n${rules}\n\n${renderSettingsHelp(width)}\n\n${EXIT_STATUS}`;
};

/** `(default: COUPONKILL_READ_SHARDS, 2)`: the setting a flag falls back to, and that setting's own default. */
const fallsBackTo = (name: SettingName): string => `${name}, ${settingDefault(name)}`;

/** A default as a user would type it: no JSON quotes or brackets; booleans and unset values show nothing. */
const typedDefault = (value: unknown): string | null => {
  if (value === undefined || typeof value === 'boolean') return null;
  if (Array.isArray(value)) return value.map(String).join(',');
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
};

const optionDescription: Help['optionDescription'] = (option) => {
  const shown = option.defaultValueDescription ?? typedDefault(option.defaultValue);
  const facts = [
    ...(option.argChoices ? [`one of: ${option.argChoices.join(', ')}`] : []),
    ...(shown !== null && !option.negate ? [`default: ${shown}`] : []),
    ...(option.envVar ? [`env: ${option.envVar}`] : []),
  ];
  return facts.length > 0 ? `${option.description} (${facts.join('; ')})`.trim() : option.description;
};

const program = new Command()
  .name('couponkill')
  .description('CouponKill: event-sourced flash sales for coupons')
  .version(packageVersion(), '-V, --version', 'print the version')
  .addOption(
    new Option('--dotenv <path>', 'read settings from this env file, which must exist').default(
      '.env',
      '.env, when present',
    ),
  )
  .option('--no-dotenv', 'read no env file')
  .addHelpText('after', settingsHelp);

/** A command that reads the settings: its help lists them. */
const withSettings = (name: string): Command => program.command(name).addHelpText('after', settingsHelp);

/** Reads the env file the flags name (before any command runs): a missing --dotenv file is an error that names it. */
program.hook('preAction', () => {
  const dotenv = program.opts<{ dotenv: string | false }>().dotenv;
  if (dotenv === false) return;
  const given = program.getOptionValueSource('dotenv') !== 'default';
  if (!existsSync(dotenv)) {
    if (given) throw new UsageError(`--dotenv: ${dotenv} does not exist`);
    return;
  }
  if (!statSync(dotenv).isFile()) throw new UsageError(`--dotenv: ${dotenv} is not a file`);
  try {
    loadEnvFile(dotenv);
  } catch (error) {
    throw new UsageError(
      `--dotenv: cannot read ${dotenv}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
});

const config = (): Config => loadConfig(process.env);

withSettings('write-api')
  .description('serve the write API (commands: users, coupons, seckill, orders)')
  .addOption(
    new Option('--port <port>', 'port to listen on')
      .argParser(parsePort)
      .default(undefined, fallsBackTo('COUPONKILL_WRITE_API_PORT')),
  )
  .action(async (options: { port?: number }) => {
    const live = await (await liveConfiguration()).openLiveConfiguration(process.env, 'write-api');
    const api = await (await processes()).startWriteApi(live.current, options.port, undefined, live);
    live.watch();
    onShutdownSignals(() => api.stop());
  });

/** A server: its configuration (environment, COUPONKILL_CONFIG_FILE, Nacos), its roles, then live changes. */
const serve = (roles: (settings: Config) => Roles, name: ProcessRole) => async () => {
  const live = await (await liveConfiguration()).openLiveConfiguration(process.env, name);
  const running = await (await processes()).startRoles(live.current, roles(live.current), name, live);
  live.watch();
  onShutdownSignals(() => running.stop());
};

const projectionOption = () =>
  new Option('--projection <name>', `one read model (${PROJECTION_NAMES.join(', ')}) or all`)
    .argParser(parseProjections)
    .default([...PROJECTION_NAMES], 'all');

withSettings('read-api')
  .description('serve the read API (coupons, orders, stats) and projection lag')
  .action(serve((c) => ({ readApi: c.readApiPort }), 'read-api'));

withSettings('relay')
  .description(
    'publish every event of the event store to the bus, from the checkpoint on; also fires reservations (COUPONKILL_RESERVATION_FIRER)',
  )
  .action(serve((c) => ({ relay: true, firer: c.reservations.firerWithRelay }), 'relay'));

withSettings('reservation-firer')
  .description(
    "fire reservations when their coupon's sale window opens (several may run: they share coupons by leases)",
  )
  .action(serve(() => ({ firer: true }), 'reservation-firer'));

withSettings('projector')
  .description('build read models from the bus')
  .addOption(projectionOption())
  .action((options: { projection: ProjectionName[] }) =>
    serve(() => ({ projectors: options.projection }), 'projector')(),
  );

withSettings('all-in-one')
  .description(
    'every role in one process: write-api, relay, projectors, read-api, reservation firer (for local use)',
  )
  .action(
    serve(
      (c) => ({
        writeApi: c.writeApiPort,
        readApi: c.readApiPort,
        relay: true,
        projectors: PROJECTION_NAMES,
        firer: c.reservations.firerWithRelay,
      }),
      'all-in-one',
    ),
  );

withSettings('replay')
  .description(
    'rebuild read models from position 0 into new tables, then swap them in (progress on stderr, report on stdout)',
  )
  .addOption(projectionOption())
  .addOption(
    new Option('--shards <count>', 'number of shards to build (1 to 64)')
      .argParser(parseShards)
      .default(undefined, fallsBackTo('COUPONKILL_READ_SHARDS')),
  )
  .addOption(
    new Option(
      '--workers <count>',
      'writers applying disjoint partitions side by side (1 to 64, at most COUPONKILL_PROJECTION_PARTITIONS)',
    )
      .argParser(parseWorkers)
      .default(2),
  )
  .option('--dry-run', 'read and count, write nothing')
  .action(
    async (options: { projection: ProjectionName[]; shards?: number; workers: number; dryRun?: boolean }) => {
      const settings = config();
      const reports = await (
        await readTasks()
      ).runReplay(settings, options.projection, {
        shards: options.shards ?? settings.read.shards,
        partitions: settings.projector.partitions,
        workers: options.workers,
        dryRun: options.dryRun === true,
      });
      process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    },
  );

withSettings('events')
  .description('print the events of one stream, one JSON object a line')
  .argument('<stream>', 'stream id, e.g. coupon-<id> or order-<id>')
  .action(async (stream: string) => {
    const settings = config();
    if ((await (await readTasks()).printStream(settings, stream)) === 0)
      process.stderr.write(`couponkill: stream ${stream} has no events\n`);
  });

withSettings('migrate')
  .description('create the event store schema')
  .action(async () => {
    const settings = config();
    await (await writeTasks()).runMigrate(settings);
  });

withSettings('rebuild-stock')
  .description(
    'rebuild the Redis stock gate from the event store (sales pause while it runs; progress on stderr, report on stdout)',
  )
  .action(async () => {
    const settings = config();
    await (await writeTasks()).runGateRebuild(settings);
  });

withSettings('reconcile')
  .description('settle reservations older than the grace period once, then exit')
  .action(async () => {
    const settings = config();
    await (await writeTasks()).runReconcileOnce(settings);
  });

withSettings('create-user')
  .description(
    `register a user (or an administrator). The password is never a flag: ${PASSWORD_SOURCES} ` +
      '(8 characters or more)',
  )
  .requiredOption('--username <name>', 'username')
  .option('--password-stdin', 'read the password from the first line of stdin')
  .option('--admin', 'give the user the admin role')
  // Only to say what to use instead: a password on the command line shows in `ps` and the shell's history.
  .addOption(new Option('--password [password]').hideHelp())
  .addHelpText(
    'after',
    `\nPassword: the first line of stdin with --password-stdin (e.g. printf '%s\\n' "$PW" | couponkill create-user ` +
      `--username ops --password-stdin), else ${NEW_USER_PASSWORD_VARIABLE}, else asked twice on the terminal with ` +
      'echo off.',
  )
  .action(
    async (options: { username: string; password?: unknown; passwordStdin?: boolean; admin?: boolean }) => {
      if (options.password !== undefined)
        throw new UsageError(
          `create-user: --password is not accepted (the command line shows in ps and the shell's history): ` +
            PASSWORD_SOURCES,
        );
      const settings = config();
      const password = await readNewPassword(options.username, options.passwordStdin === true);
      await (
        await writeTasks()
      ).runUserCreate(settings, { username: options.username, password, admin: options.admin === true });
    },
  );

registerOperatorCommand(program);
registerOpenApiCommand(program);

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

function parseWorkers(value: string): number {
  const workers = Number(value);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64)
    throw new InvalidArgumentError('must be a whole number from 1 to 64');
  return workers;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('must be a port number from 0 to 65535');
  return port;
}

/**
 * The same conventions on every command, however it was added: defaults shown as typed, global options in each
 * command's help, errors prefixed `couponkill:` with a pointer to --help (not the whole help), and usage errors
 * exiting 2.
 */
const conventions = (command: Command): void => {
  command
    .configureHelp({ optionDescription, showGlobalOptions: true })
    .configureOutput({ outputError: (message, write) => write(`couponkill: ${message}`) })
    .showHelpAfterError('(add --help for usage)')
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : EXIT.usage));
  for (const sub of command.commands) conventions(sub);
};

const fail = (message: string, status: number): never => {
  process.stderr.write(`couponkill: ${message}\n`);
  process.exit(status);
};

conventions(program);
program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof UsageError) fail(error.message, EXIT.usage);
  if (error instanceof ConfigError) fail(error.message, EXIT.config);
  if (error instanceof UnreachableDependencyError) fail(error.message, EXIT.unavailable);
  if (error instanceof InterruptedError) fail(error.message, EXIT.interrupted);
  fail(error instanceof Error ? error.message : String(error), EXIT.failed);
});
