import { DomainError } from '../domain/shared/domain-error';
import { userStreamId } from '../domain/user/user-events';
import { FixedClock } from '../test/support/in-memory/fixed-clock';
import { InMemoryEventStore } from '../test/support/in-memory/in-memory-event-store';
import { SequentialIds } from '../test/support/in-memory/sequential-ids';
import { systemContext, type CommandContext } from './command-context';
import type { PasswordHasher } from './password-hasher-port';
import { InvalidCredentialsError, SessionEndedError, UserHandlers } from './user-handlers';

/** A hasher that shows what it did: the "hash" is the password behind a prefix, and every call is counted. */
class PlainHasher implements PasswordHasher {
  hashes = 0;
  verifies = 0;
  hash(password: string): Promise<string> {
    this.hashes += 1;
    return Promise.resolve(`plain$${password}`);
  }
  verify(password: string, stored: string): Promise<boolean> {
    this.verifies += 1;
    return Promise.resolve(stored === `plain$${password}`);
  }
}

const as = (actorId: string): CommandContext => ({ actorId, correlationId: 'r-1', causationId: 'r-1' });

const codeOf = async (promise: Promise<unknown>): Promise<string> => {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (error instanceof DomainError) return error.code;
  return error instanceof Error ? error.name : String(error);
};

describe('UserHandlers: password changes, disabling and enabling', () => {
  let store: InMemoryEventStore;
  let hasher: PlainHasher;
  let users: UserHandlers;
  let aliceId: string;
  let adminId: string;

  beforeEach(async () => {
    const clock = new FixedClock('2026-12-01T10:00:00Z');
    store = new InMemoryEventStore({ now: () => clock.nowMs() });
    hasher = new PlainHasher();
    users = new UserHandlers(store, hasher, clock, new SequentialIds(), { configuredAdmin: 'Root' });
    adminId = (await users.register('root', 'root-password-1', 'admin', systemContext('t'))).userId;
    aliceId = (await users.register('alice', 'alice-password', 'user', systemContext('t'))).userId;
  });

  const alice = () => ({ userId: aliceId, username: 'alice' });
  const typesIn = async (username: string) =>
    (await store.readStream(userStreamId(username))).map((event) => event.type);

  it('changes the password after verifying the old one, and counts the change in the identity', async () => {
    const identity = await users.changePassword(alice(), 'alice-password', 'new-password', as(aliceId));
    expect(identity).toMatchObject({ userId: aliceId, username: 'alice', passwordVersion: 1 });
    expect(await typesIn('alice')).toEqual(['UserRegistered', 'UserPasswordChanged']);
    const [, changed] = await store.readStream(userStreamId('alice'));
    expect(changed?.data).toMatchObject({ passwordHash: 'plain$new-password' });
    expect(changed?.metadata.userId).toBe(aliceId);
    await expect(users.authenticate('alice', 'alice-password')).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    expect(await users.authenticate('alice', 'new-password')).toMatchObject({ passwordVersion: 1 });
  });

  it('refuses a wrong old password before hashing anything, and writes nothing', async () => {
    const hashesBefore = hasher.hashes;
    await expect(
      users.changePassword(alice(), 'wrong-password', 'new-password', as(aliceId)),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
    expect(hasher.hashes).toBe(hashesBefore);
    expect(await typesIn('alice')).toEqual(['UserRegistered']);
  });

  it('refuses a new password that breaks the registration rule, naming newPassword, before any hash', async () => {
    const verifiesBefore = hasher.verifies;
    const error = await users
      .changePassword(alice(), 'alice-password', 'short', as(aliceId))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).details).toEqual({
      issues: [{ path: 'newPassword', message: expect.stringContaining('8 to 256') }],
    });
    expect(hasher.verifies).toBe(verifiesBefore);
  });

  it('ends the sessions of tokens from before a change: they no longer pass the session check', async () => {
    expect(await users.session(alice())).toMatchObject({ passwordVersion: 0 });
    await users.changePassword(alice(), 'alice-password', 'new-password', as(aliceId));
    await expect(users.session(alice())).rejects.toThrow(
      new SessionEndedError('the password was changed after this login: log in again'),
    );
    expect(await users.session({ ...alice(), passwordVersion: 1 })).toMatchObject({ userId: aliceId });
    // And a change needs a token of the current password version.
    await expect(
      users.changePassword(alice(), 'new-password', 'newer-password', as(aliceId)),
    ).rejects.toBeInstanceOf(SessionEndedError);
  });

  it('refuses a token without a username, or naming another account than its user id', async () => {
    await expect(users.session({ userId: aliceId })).rejects.toBeInstanceOf(SessionEndedError);
    await expect(users.session({ userId: adminId, username: 'alice' })).rejects.toBeInstanceOf(
      SessionEndedError,
    );
    await expect(users.session({ userId: 'u-x', username: 'nobody' })).rejects.toBeInstanceOf(
      SessionEndedError,
    );
  });

  it('disables an account: no login (once the password is proven), no session, no password change', async () => {
    expect(await users.disable('ALICE', 'chargebacks', as(adminId))).toEqual({
      userId: aliceId,
      username: 'alice',
      role: 'user',
      disabled: true,
    });
    const [, disabled] = await store.readStream(userStreamId('alice'));
    expect(disabled?.data).toEqual({
      userId: aliceId,
      username: 'alice',
      by: adminId,
      reason: 'chargebacks',
      disabledAt: '2026-12-01T10:00:00.000Z',
    });
    expect(await codeOf(users.authenticate('alice', 'alice-password'))).toBe('ACCOUNT_DISABLED');
    expect(await codeOf(users.authenticate('alice', 'wrong-password'))).toBe('InvalidCredentialsError');
    expect(await codeOf(users.session(alice()))).toBe('ACCOUNT_DISABLED');
    expect(await codeOf(users.changePassword(alice(), 'alice-password', 'new-password', as(aliceId)))).toBe(
      'ACCOUNT_DISABLED',
    );
    expect(await codeOf(users.disable('alice', undefined, as(adminId)))).toBe('USER_ALREADY_DISABLED');
  });

  it('enables it again: the same password logs in, and tokens from before the disable renew again', async () => {
    await users.disable('alice', undefined, as(adminId));
    expect(await users.enable('alice', as(adminId))).toMatchObject({ disabled: false });
    expect(await users.authenticate('alice', 'alice-password')).toMatchObject({ userId: aliceId });
    expect(await users.session(alice())).toMatchObject({ userId: aliceId });
    expect(await codeOf(users.enable('alice', as(adminId)))).toBe('USER_ALREADY_ENABLED');
    expect(await typesIn('alice')).toEqual(['UserRegistered', 'UserDisabled', 'UserEnabled']);
  });

  it('never disables the configured administrator (its name normalised) nor the caller, nor an unknown user', async () => {
    const other = (await users.register('second-admin', 'second-password', 'admin', systemContext('t')))
      .userId;
    expect(await codeOf(users.disable('root', undefined, as(other)))).toBe('ACCOUNT_PROTECTED');
    expect(await codeOf(users.disable('second-admin', undefined, as(other)))).toBe('OWN_ACCOUNT');
    expect(await codeOf(users.disable('nobody', undefined, as(other)))).toBe('USER_NOT_FOUND');
    expect(await codeOf(users.disable('no way', undefined, as(other)))).toBe('VALIDATION_FAILED');
    // Another administrator may be disabled by one who is not the configured one.
    expect(await users.disable('second-admin', undefined, as(adminId))).toMatchObject({ disabled: true });
  });

  it('lets the configured administrator change its password; bootstrapping leaves the changed one', async () => {
    await users.changePassword(
      { userId: adminId, username: 'root' },
      'root-password-1',
      'root-password-2',
      as(adminId),
    );
    const ensured = await users.ensure('root', 'root-password-1', 'admin', systemContext('bootstrap-admin'));
    expect(ensured).toMatchObject({ userId: adminId, passwordVersion: 1 });
    await expect(users.authenticate('root', 'root-password-1')).rejects.toBeInstanceOf(
      InvalidCredentialsError,
    );
    expect(await users.authenticate('root', 'root-password-2')).toMatchObject({ role: 'admin' });
  });
});
