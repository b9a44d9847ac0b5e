import jwt from 'jsonwebtoken';
import { startWriteApi } from '../bin/process';
import { systemContext } from '../commands/command-context';
import { UserHandlers } from '../commands/user-handlers';
import { request, tokenFor, type JsonResponse } from './support/http-client';
import { startHarness, type Harness } from './support/write-api-harness';

/**
 * User information management on a real write-api (Redis, MariaDB): password changes, administrators disabling and
 * enabling accounts, and what login and refresh make of both. The configured administrator is `admin` with
 * `admin-password-123` (test/support/test-env.ts), registered when the write-api starts.
 */

const ADMIN = { username: 'admin', password: 'admin-password-123' };

describe('user information management', () => {
  let h: Harness;
  let adminToken: string;
  let adminId: string;

  const login = (username: string, password: string): Promise<JsonResponse> =>
    request(h.api.url, 'POST', '/api/v1/auth/login', { body: { username, password } });
  const refresh = (token: string): Promise<JsonResponse> =>
    request(h.api.url, 'POST', '/api/v1/auth/refresh', { token });
  const changePassword = (token: string, body: unknown): Promise<JsonResponse> =>
    request(h.api.url, 'POST', '/api/v1/users/me/password', { token, body });
  const admin = (action: 'disable' | 'enable', username: string, token: string, body?: unknown) =>
    request(h.api.url, 'POST', `/api/v1/admin/users/${encodeURIComponent(username)}/${action}`, {
      token,
      ...(body === undefined ? {} : { body }),
    });
  /** Registers a user and logs in: its token and id. */
  const newUser = async (username: string, password = `${username}-password`) => {
    const registered = await request(h.api.url, 'POST', '/api/v1/users', { body: { username, password } });
    expect(registered.status).toBe(201);
    const answer = await login(username, password);
    expect(answer.status).toBe(200);
    return { token: String(answer.body.token), userId: String(answer.body.userId) };
  };
  const errorOf = (answer: JsonResponse) => [answer.status, answer.body.error?.code];
  const eventsOf = async (type: string, username: string) =>
    (await h.allEvents()).filter(
      (e) => e.type === type && (e.data as { username?: string }).username === username,
    );

  beforeAll(async () => {
    h = await startHarness({
      // Two wrong passwords in a row from an address are free, then the back-off (1 s, 2 s, ...) applies.
      COUPONKILL_LOGIN_FREE_FAILURES: '2',
      COUPONKILL_LOGIN_BACKOFF_BASE_SECONDS: '1',
    });
    const answer = await login(ADMIN.username, ADMIN.password);
    expect(answer.status).toBe(200);
    adminToken = String(answer.body.token);
    adminId = String(answer.body.userId);
  });
  afterAll(() => h.close());

  it('changes a password: the old one no longer logs in, the new one does, and tokens from before do not renew', async () => {
    const { token: before, userId } = await newUser('carol');
    const changed = await changePassword(before, {
      oldPassword: 'carol-password',
      newPassword: 'carol-new-pass',
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ tokenType: 'Bearer', userId, role: 'user', expiresIn: 3600 });
    const after = String(changed.body.token);
    expect(jwt.decode(after)).toMatchObject({ sub: userId, username: 'carol', pwv: 1 });

    expect(errorOf(await login('carol', 'carol-password'))).toEqual([401, 'INVALID_CREDENTIALS']);
    const fresh = await login('carol', 'carol-new-pass');
    expect(fresh.status).toBe(200);
    expect(jwt.decode(String(fresh.body.token))).toMatchObject({ pwv: 1 });

    const stale = await refresh(before);
    expect(errorOf(stale)).toEqual([401, 'UNAUTHENTICATED']);
    expect(stale.body.error?.message).toContain('password was changed');
    expect(stale.headers.get('www-authenticate')).toBe('Bearer realm="couponkill"');
    expect((await refresh(after)).status).toBe(200);
    expect((await refresh(String(fresh.body.token))).status).toBe(200);
    // A token from before the change cannot change the password again either.
    expect(
      errorOf(
        await changePassword(before, { oldPassword: 'carol-new-pass', newPassword: 'carol-third-pass' }),
      ),
    ).toEqual([401, 'UNAUTHENTICATED']);

    const [event, ...more] = await eventsOf('UserPasswordChanged', 'carol');
    expect(more).toEqual([]);
    expect(event?.data).toMatchObject({
      userId,
      username: 'carol',
      passwordHash: expect.stringMatching(/^scrypt\$/),
    });
    expect(JSON.stringify(event?.data)).not.toContain('carol-new-pass');
    expect(event?.metadata.userId).toBe(userId);
  });

  it('refuses a wrong old password with 401, on the login throttle: guesses here slow logins there too', async () => {
    const { token } = await newUser('erin');
    const wrong = () =>
      changePassword(token, { oldPassword: 'not-the-password', newPassword: 'erin-new-pass' });
    // Two free failures, then the one attempt a back-off wait allows, then 429 until the wait ends.
    for (let i = 0; i < 3; i++) expect(errorOf(await wrong())).toEqual([401, 'INVALID_CREDENTIALS']);
    // The same counters as login: the owner's login from this address waits too, and nothing was written. Both are
    // sent at once, inside the first back-off (1 s), which one after the other could outlast on a loaded machine.
    const [limited, ownerLogin] = await Promise.all([wrong(), login('erin', 'erin-password')]);
    expect(errorOf(limited)).toEqual([429, 'RATE_LIMITED']);
    expect(limited.headers.get('ratelimit-policy')).toMatch(/^"login-backoff";q=1;w=\d+$/);
    expect(errorOf(ownerLogin)).toEqual([429, 'RATE_LIMITED']);
    expect(await eventsOf('UserPasswordChanged', 'erin')).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(
      (await changePassword(token, { oldPassword: 'erin-password', newPassword: 'erin-new-pass' })).status,
    ).toBe(200);
  });

  it('refuses bad input with 400 naming the field, and tokens that name no user with 401', async () => {
    const { token } = await newUser('frank');
    const cases: [unknown, string][] = [
      [{ oldPassword: 'frank-password', newPassword: 'short' }, 'newPassword'],
      [{ oldPassword: 'frank-password', newPassword: 'x'.repeat(257) }, 'newPassword'],
      [{ oldPassword: 'frank-password', newPassword: 'lone \uD800 surrogate' }, 'newPassword'],
      [{ newPassword: 'frank-new-pass' }, 'oldPassword'],
      [{ oldPassword: '', newPassword: 'frank-new-pass' }, 'oldPassword'],
      [{ oldPassword: 'frank-password', newPassword: 'frank-new-pass', extra: 1 }, 'body'],
    ];
    for (const [body, field] of cases) {
      const answer = await changePassword(token, body);
      expect(errorOf(answer)).toEqual([400, 'VALIDATION_FAILED']);
      expect(answer.body.error?.details).toEqual({
        issues: [expect.objectContaining({ path: field })],
      });
    }
    const badReason = await admin('disable', 'frank', adminToken, { reason: '   ' });
    expect(errorOf(badReason)).toEqual([400, 'VALIDATION_FAILED']);
    expect(badReason.body.error?.details).toEqual({ issues: [expect.objectContaining({ path: 'reason' })] });
    const badName = await admin('disable', 'no way', adminToken);
    expect(errorOf(badName)).toEqual([400, 'VALIDATION_FAILED']);
    expect(badName.body.error?.details).toEqual({ issues: [expect.objectContaining({ path: 'username' })] });
    expect(errorOf(await admin('enable', 'frank', adminToken, { reason: 'no' }))).toEqual([
      400,
      'VALIDATION_FAILED',
    ]);
    // Minted without a username claim (as before tokens named their user): log in again.
    const nameless = tokenFor(adminId, 'admin');
    expect(
      errorOf(await changePassword(nameless, { oldPassword: ADMIN.password, newPassword: 'whatever-pass' })),
    ).toEqual([401, 'UNAUTHENTICATED']);
    expect(errorOf(await admin('disable', 'frank', nameless))).toEqual([401, 'UNAUTHENTICATED']);
    expect(errorOf(await refresh(nameless))).toEqual([401, 'UNAUTHENTICATED']);
    expect(await eventsOf('UserPasswordChanged', 'frank')).toEqual([]);
    expect(await eventsOf('UserDisabled', 'frank')).toEqual([]);
  });

  it('disables an account (login 403, refresh 403) and enables it again (login works), each an event', async () => {
    const { token, userId } = await newUser('dave');
    const disabled = await admin('disable', 'Dave', adminToken, { reason: '  chargeback fraud ' });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toEqual({ userId, username: 'dave', role: 'user', disabled: true });

    expect(errorOf(await login('dave', 'dave-password'))).toEqual([403, 'ACCOUNT_DISABLED']);
    // A wrong password answers as for any account: the state is told only to whoever proves the password.
    expect(errorOf(await login('dave', 'wrong-password'))).toEqual([401, 'INVALID_CREDENTIALS']);
    expect(errorOf(await refresh(token))).toEqual([403, 'ACCOUNT_DISABLED']);
    expect(
      errorOf(await changePassword(token, { oldPassword: 'dave-password', newPassword: 'dave-new-pass' })),
    ).toEqual([403, 'ACCOUNT_DISABLED']);
    expect(errorOf(await admin('disable', 'dave', adminToken))).toEqual([409, 'USER_ALREADY_DISABLED']);

    const enabled = await admin('enable', 'dave', adminToken);
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ userId, disabled: false });
    expect(errorOf(await admin('enable', 'dave', adminToken, {}))).toEqual([409, 'USER_ALREADY_ENABLED']);
    expect((await login('dave', 'dave-password')).status).toBe(200);
    // Its password never changed: the token from before the disable renews again.
    expect((await refresh(token)).status).toBe(200);

    const [disabledEvent] = await eventsOf('UserDisabled', 'dave');
    expect(disabledEvent?.data).toEqual({
      userId,
      username: 'dave',
      by: adminId,
      reason: 'chargeback fraud',
      disabledAt: expect.any(String),
    });
    expect(disabledEvent?.metadata.userId).toBe(adminId);
    const [enabledEvent] = await eventsOf('UserEnabled', 'dave');
    expect(enabledEvent?.data).toEqual({
      userId,
      username: 'dave',
      by: adminId,
      enabledAt: expect.any(String),
    });
  });

  it('keeps the administration of accounts to active administrators, and never on themselves or the configured one', async () => {
    const { token: userToken } = await newUser('grace');
    for (const action of ['disable', 'enable'] as const) {
      expect(errorOf(await admin(action, 'grace', userToken))).toEqual([403, 'FORBIDDEN']);
      expect(errorOf(await request(h.api.url, 'POST', `/api/v1/admin/users/grace/${action}`))).toEqual([
        401,
        'UNAUTHENTICATED',
      ]);
    }
    expect(errorOf(await admin('disable', 'admin', adminToken))).toEqual([403, 'OWN_ACCOUNT']);
    expect(errorOf(await admin('disable', 'nobody-here', adminToken))).toEqual([404, 'USER_NOT_FOUND']);

    await h.api.container
      .get(UserHandlers)
      .register('second-admin', 'second-admin-password', 'admin', systemContext('test'));
    const second = String((await login('second-admin', 'second-admin-password')).body.token);
    expect(errorOf(await admin('disable', 'admin', second))).toEqual([403, 'ACCOUNT_PROTECTED']);
    expect((await admin('disable', 'grace', second)).status).toBe(200);
    // A disabled administrator's token still lives (up to its TTL), but administers nothing, itself included.
    expect((await admin('disable', 'second-admin', adminToken)).status).toBe(200);
    expect(errorOf(await admin('enable', 'grace', second))).toEqual([403, 'ACCOUNT_DISABLED']);
    expect(errorOf(await admin('enable', 'second-admin', second))).toEqual([403, 'ACCOUNT_DISABLED']);
    expect((await admin('enable', 'grace', adminToken)).status).toBe(200);
    expect(await eventsOf('UserDisabled', 'admin')).toEqual([]);
  });

  it("changes the configured administrator's password: a restart's bootstrap leaves the new one", async () => {
    const changed = await changePassword(adminToken, {
      oldPassword: ADMIN.password,
      newPassword: 'admin-password-456',
    });
    expect(changed.status).toBe(200);
    adminToken = String(changed.body.token);
    // Another write-api on the same event store: its bootstrap finds the account and leaves it as it is.
    const restarted = await startWriteApi(h.env.config, 0);
    try {
      const old = await request(restarted.url, 'POST', '/api/v1/auth/login', { body: ADMIN });
      expect(errorOf(old)).toEqual([401, 'INVALID_CREDENTIALS']);
      const renewed = await request(restarted.url, 'POST', '/api/v1/auth/login', {
        body: { username: 'admin', password: 'admin-password-456' },
      });
      expect(renewed.body).toMatchObject({ userId: adminId, role: 'admin' });
    } finally {
      await restarted.stop();
    }
    expect(await eventsOf('UserRegistered', 'admin')).toHaveLength(1);
  });
});
