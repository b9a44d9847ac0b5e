import { envOf, runCli } from './support/child-process';
import { createTestEnv } from './support/test-env';

describe('couponkill CLI', () => {
  const env = createTestEnv();
  afterAll(() => env.cleanup());

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
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("option '--port <port>' argument 'abc' is invalid");
  });

  it('creates an administrator, and refuses the same name twice', async () => {
    const first = await runCli(
      ['create-user', '--username', 'ops', '--password', 'ops-password-1', '--admin'],
      envOf(env.config),
    );
    expect(first.stderr).toBe('');
    expect(JSON.parse(first.stdout)).toMatchObject({ username: 'ops', role: 'admin' });
    const second = await runCli(
      ['create-user', '--username', 'ops', '--password', 'ops-password-1'],
      envOf(env.config),
    );
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('username ops is taken');
  });

  it('settles stale reservations once', async () => {
    const result = await runCli(['reconcile'], envOf(env.config));
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ kept: 0, released: 0 });
  });
});
