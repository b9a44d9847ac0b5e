import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createContainer } from '../bin/container';
import { closeWriteSide, openWriteSide } from '../bin/lifecycle';
import { UserHandlers } from '../commands/user-handlers';
import { describeSettings } from '../infra/config/config';
import { CLI, envOf, freePort, runCli, type CliResult } from './support/child-process';
import { createTestEnv } from './support/test-env';

/** Help text as one line: the help wraps at 80 columns, the assertions should not care where. */
const oneLine = (text: string): string => text.replaceAll(/\s+/g, ' ');

/** A password that must never be printed (it is in a URL the CLI cannot reach). */
const SECRET = 'do-not-print-me-7';

/** Runs the CLI on a terminal (util-linux `script`): what a user at a shell sees, prompts and bars included. */
const runInTerminal = (
  args: string[],
  env: NodeJS.ProcessEnv,
  answers: { after: string; type: string }[] = [],
): Promise<CliResult> =>
  new Promise((done) => {
    const command = [process.execPath, CLI, '--no-dotenv', ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...env, TERM: 'xterm' } });
    let stdout = '';
    const pending = [...answers];
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // Type only once the prompt is up: the terminal is in raw mode (echo off) by then.
      while (pending[0] && stdout.includes(pending[0].after)) child.stdin.write(pending.shift()!.type);
    });
    child.on('close', (code) => done({ code, stdout, stderr: '' }));
  });

describe('couponkill CLI', () => {
  const env = createTestEnv();
  afterAll(() => env.cleanup());

  /** Whether a user can log in with this password (the CLI stored what it was given, line ending excluded). */
  const canLogIn = async (username: string, password: string): Promise<boolean> => {
    const container = createContainer(env.config, 'test');
    await openWriteSide(container, { attempts: 1 });
    try {
      await container.get(UserHandlers).authenticate(username, password);
      return true;
    } catch {
      return false;
    } finally {
      await closeWriteSide(container);
    }
  };

  it('prints its version', async () => {
    const { version } = JSON.parse(await readFile(resolve(__dirname, '../package.json'), 'utf8')) as {
      version: string;
    };
    const result = await runCli(['--version'], { PATH: process.env.PATH });
    expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('lists every setting with its meaning and default, and the env-file rules, in its help and its commands’', async () => {
    for (const args of [['--help'], ['migrate', '--help'], ['help', 'rebuild-stock']]) {
      const result = await runCli(args, { PATH: process.env.PATH });
      expect(result.code).toBe(0);
      const help = oneLine(result.stdout);
      for (const setting of describeSettings()) {
        expect(setting.meaning).not.toBe('(undocumented)');
        const facts = [
          ...(setting.choices ? [`one of: ${setting.choices.join(', ')}`] : []),
          setting.default === null ? 'required' : `default: ${setting.default}`,
          ...(setting.live ? ['live'] : []),
        ];
        expect(help).toContain(` ${setting.name} ${setting.meaning} (${facts.join('; ')})`);
      }
      expect(help).toContain(' COUPONKILL_REDIS_URL Redis of the stock gate');
      expect(help).toContain('(default: redis://127.0.0.1:6379; live)');
      expect(help).toContain(
        ' COUPONKILL_JWT_SECRET HS256 secret of the tokens, 32 characters or more (required)',
      );
      expect(help).toContain('A .env file in the working directory is read when present');
      expect(help).toContain('--dotenv <path> reads that file instead, and it must exist');
      expect(help).toContain('Variables already set in the environment win over the file');
      expect(help).toMatch(
        /Exit status: 0 done 1 .* 2 usage: .* 69 a dependency cannot be reached.* 78 a setting is invalid/,
      );
    }
  });

  it('shows option defaults as a user would type them, in every command’s help', async () => {
    const top = await runCli(['--help'], { PATH: process.env.PATH });
    const section = /\nCommands:\n([\s\S]*?)\n\n/.exec(top.stdout)?.[1] ?? '';
    const commands = [...section.matchAll(/^ {2}([a-z-]+)(?: \[options\]| <\w+>)?\s{2,}/gm)]
      .map((m) => m[1]!)
      .filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['write-api', 'replay', 'projector', 'operator']));
    const helps = new Map<string, string>();
    for (const command of commands) {
      const result = await runCli([command, '--help'], { PATH: process.env.PATH });
      expect(result.code).toBe(0);
      const help = oneLine(result.stdout);
      // No JSON quoting or brackets, no booleans: nobody types `"0.0.0.0"`, `["orders","coupons"]` or `false`.
      expect(help).not.toMatch(/default: ["[]|default: (true|false)\b/);
      helps.set(command, help);
    }
    expect(helps.get('projector')).toContain(
      '--projection <name> one read model (orders, coupons, stats, reservations, notifications) or all (default: all)',
    );
    expect(helps.get('replay')).toContain('(default: all)');
    expect(helps.get('replay')).toContain(
      '--shards <count> number of shards to build (1 to 64) (default: COUPONKILL_READ_SHARDS, 2)',
    );
    expect(helps.get('write-api')).toContain(
      '--port <port> port to listen on (default: COUPONKILL_WRITE_API_PORT, 8080)',
    );
    expect(helps.get('operator')).toContain('(default: 0.0.0.0)');
    expect(helps.get('operator')).toContain('(default: COUPONKILL_LOG_LEVEL, info)');
    expect(helps.get('create-user')).not.toMatch(/--password </);
    expect(helps.get('create-user')).toContain('--password-stdin');
    expect(helps.get('create-user')).toContain('COUPONKILL_NEW_USER_PASSWORD');
  });

  it('stops with a message naming each bad setting', async () => {
    const result = await runCli(['migrate'], {
      ...envOf(env.config),
      COUPONKILL_JWT_SECRET: 'short',
      COUPONKILL_WRITE_API_PORT: 'eighty',
    });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('COUPONKILL_JWT_SECRET: must be at least 32 characters');
    expect(result.stderr).toContain('COUPONKILL_WRITE_API_PORT');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('names a bad flag', async () => {
    const result = await runCli(['write-api', '--port', 'abc'], envOf(env.config));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("option '--port <port>' argument 'abc' is invalid");
    const unknown = await runCli(['migrate', '--colour'], envOf(env.config));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--colour'");
    const workers = await runCli(['replay', '--workers', '0'], envOf(env.config));
    expect(workers.code).toBe(2);
    expect(workers.stderr).toContain("option '--workers <count>' argument '0' is invalid");
  });

  it('names a --dotenv file that does not exist', async () => {
    const missing = `missing-${randomBytes(4).toString('hex')}.env`;
    const result = await runCli(['--dotenv', missing, 'migrate'], envOf(env.config), { dotenv: true });
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `couponkill: --dotenv: ${missing} does not exist\n`,
    });
  });

  it('reads .env when present, --dotenv instead when given, and lets the environment win', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'couponkill-cli-'));
    try {
      await writeFile(join(dir, '.env'), 'COUPONKILL_JWT_SECRET=short-from-dot-env\n');
      await writeFile(join(dir, 'other.env'), 'COUPONKILL_WRITE_API_PORT=eighty\n');
      const { COUPONKILL_JWT_SECRET: _, ...withoutSecret } = envOf(env.config);

      const fromDotEnv = await runCli(['migrate'], withoutSecret, { dotenv: true, cwd: dir });
      expect(fromDotEnv.code).toBe(78);
      expect(fromDotEnv.stderr).toContain('COUPONKILL_JWT_SECRET: must be at least 32 characters');

      const environmentWins = await runCli(['migrate'], envOf(env.config), { dotenv: true, cwd: dir });
      expect(environmentWins).toMatchObject({ code: 0, stderr: '' });

      const given = await runCli(['--dotenv', 'other.env', 'migrate'], withoutSecret, {
        dotenv: true,
        cwd: dir,
      });
      expect(given.code).toBe(78);
      expect(given.stderr).toContain('COUPONKILL_JWT_SECRET: is required');
      expect(given.stderr).toContain('COUPONKILL_WRITE_API_PORT');

      const none = await runCli(['migrate'], withoutSecret, { cwd: dir });
      expect(none.code).toBe(78);
      expect(none.stderr).toContain('COUPONKILL_JWT_SECRET: is required');
      expect(none.stderr).not.toContain('COUPONKILL_WRITE_API_PORT');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  const TASKS: string[][] = [
    ['migrate'],
    ['rebuild-stock'],
    ['reconcile'],
    ['create-user', '--username', 'nobody'],
    ['replay'],
    ['events', 'coupon-x'],
  ];

  it.each(TASKS)('fails %s at once, in one line naming the setting, when MySQL is down', async (...args) => {
    const port = await freePort();
    const started = Date.now();
    const result = await runCli(
      args,
      envOf(env.config, {
        COUPONKILL_EVENT_STORE_URL: `mysql://couponkill:${SECRET}@127.0.0.1:${port}/couponkill_events`,
        COUPONKILL_NEW_USER_PASSWORD: 'nobody-password-1',
      }),
    );
    expect(result).toEqual({
      code: 69,
      stdout: '',
      stderr:
        `couponkill: cannot reach MySQL at 127.0.0.1:${port} (COUPONKILL_EVENT_STORE_URL): ` +
        `connect ECONNREFUSED 127.0.0.1:${port}\n`,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it.each(TASKS)('fails %s at once, in one line naming the setting, when Redis is down', async (...args) => {
    const port = await freePort();
    const result = await runCli(
      args,
      envOf(env.config, {
        COUPONKILL_REDIS_URL: `redis://:${SECRET}@127.0.0.1:${port}`,
        COUPONKILL_NEW_USER_PASSWORD: 'nobody-password-1',
      }),
    );
    expect(result).toEqual({
      code: 69,
      stdout: '',
      stderr:
        `couponkill: cannot reach Redis at 127.0.0.1:${port} (COUPONKILL_REDIS_URL): ` +
        `connect ECONNREFUSED 127.0.0.1:${port}\n`,
    });
  });

  it('fails a replay at once, in one line naming the setting, when the read database is down', async () => {
    const port = await freePort();
    const result = await runCli(
      ['replay'],
      envOf(env.config, { COUPONKILL_READ_DATABASE_URL: `mysql://couponkill:${SECRET}@127.0.0.1:${port}/r` }),
    );
    expect(result.code).toBe(69);
    expect(result.stderr).toBe(
      `couponkill: cannot reach MySQL at 127.0.0.1:${port} (COUPONKILL_READ_DATABASE_URL): ` +
        `connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
  });

  it('keeps a server waiting for a dependency that is down, one log line per attempt, no stack', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, '--no-dotenv', 'relay'], {
      env: envOf(env.config, {
        COUPONKILL_REDIS_URL: `redis://:${SECRET}@127.0.0.1:${port}`,
        COUPONKILL_READ_DATABASE_URL: env.config.read.databaseUrl,
        COUPONKILL_OPS_PORT: '0',
      }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    for (let i = 0; i < 100 && (stdout.match(/\n/g) ?? []).length < 3; i++)
      await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGKILL');
    await exited;
    expect(stderr).toBe('');
    const lines = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    lines.forEach((line, i) => {
      expect(line).toMatchObject({
        level: 40,
        setting: 'COUPONKILL_REDIS_URL',
        attempt: i + 1,
        msg:
          `cannot reach Redis at 127.0.0.1:${port} (COUPONKILL_REDIS_URL): connect ECONNREFUSED 127.0.0.1:${port}; ` +
          `retrying in 1 s (attempt ${i + 1} of 30)`,
      });
      expect(line).not.toHaveProperty('err');
    });
    expect(stdout).not.toContain(SECRET);
  });

  it('creates a user with the password from COUPONKILL_NEW_USER_PASSWORD, and refuses the same name twice', async () => {
    const first = await runCli(
      ['create-user', '--username', 'ops', '--admin'],
      envOf(env.config, { COUPONKILL_NEW_USER_PASSWORD: 'ops-password-1' }),
    );
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ username: 'ops', role: 'admin' });
    expect(await canLogIn('ops', 'ops-password-1')).toBe(true);
    const second = await runCli(
      ['create-user', '--username', 'ops'],
      envOf(env.config, { COUPONKILL_NEW_USER_PASSWORD: 'ops-password-1' }),
    );
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('username ops is taken');
  });

  it('creates a user with the password from the first line of stdin (--password-stdin)', async () => {
    const result = await runCli(
      ['create-user', '--username', 'piped', '--password-stdin'],
      envOf(env.config),
      {
        stdin: 'piped-password-1\r\nsecond line\n',
      },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ username: 'piped', role: 'user' });
    expect(await canLogIn('piped', 'piped-password-1')).toBe(true);

    const empty = await runCli(['create-user', '--username', 'empty', '--password-stdin'], envOf(env.config));
    expect(empty).toMatchObject({
      code: 2,
      stderr: 'couponkill: --password-stdin: stdin held no password\n',
    });
  });

  it('refuses a password on the command line, saying what to use instead', async () => {
    for (const flag of [['--password', 'cli-password-1'], ['--password=cli-password-1'], ['--password']]) {
      const result = await runCli(['create-user', '--username', 'flagged', ...flag], envOf(env.config));
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--password is not accepted');
      expect(result.stderr).toContain('--password-stdin');
      expect(result.stderr).toContain('COUPONKILL_NEW_USER_PASSWORD');
      expect(result.stderr).not.toContain('cli-password-1');
    }
    const none = await runCli(['create-user', '--username', 'flagged'], envOf(env.config));
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('create-user needs a password: pipe it in with --password-stdin');
    expect(await canLogIn('flagged', 'cli-password-1')).toBe(false);
  });

  const onTerminal = existsSync('/usr/bin/script') ? it : it.skip;

  onTerminal('asks for the password on a terminal, twice, with echo off', async () => {
    const result = await runInTerminal(['create-user', '--username', 'asked'], envOf(env.config), [
      { after: 'Password for asked: ', type: 'asked-password-1\r' },
      { after: 'Repeat it: ', type: 'asked-password-1\r' },
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Password for asked: ');
    expect(result.stdout).not.toContain('asked-password-1');
    expect(result.stdout).toContain('"username": "asked"');
    expect(await canLogIn('asked', 'asked-password-1')).toBe(true);
  });

  it('shows the progress of rebuild-stock on stderr as plain lines off a terminal, the report on stdout', async () => {
    const result = await runCli(['rebuild-stock'], envOf(env.config));
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^rebuild-stock: (\d+)\/\1 positions \(100%, \d+\/s\)$/m);
    expect(result.stderr).toMatch(
      /^rebuild-stock: loaded 0 coupons \(0 live orders\) from \d+ events in [\d.]+ s$/m,
    );
    expect(JSON.parse(result.stdout)).toMatchObject({ coupons: 0, liveOrders: 0 });
  });

  onTerminal('draws a progress bar for rebuild-stock on a terminal', async () => {
    const result = await runInTerminal(['rebuild-stock'], envOf(env.config));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/rebuild-stock \|[█░]+\| 100% \| (\d+)\/\1 positions/);
    expect(result.stdout).toContain('"coupons": 0');
  });

  it('settles stale reservations once', async () => {
    const result = await runCli(['reconcile'], envOf(env.config));
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ kept: 0, released: 0 });
  });
});
