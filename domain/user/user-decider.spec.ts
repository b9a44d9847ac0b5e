import { DeciderSpecification } from '../../test/support/decider-specification';
import {
  userDecider,
  type ChangePassword,
  type DisableUser,
  type EnableUser,
  type RegisterUser,
} from './user-decider';
import type { UserEvent } from './user-events';
import { userStreamId } from './user-events';

const spec = DeciderSpecification.for(userDecider);
const now = new Date('2026-12-01T10:00:00Z');
const later = new Date('2026-12-02T08:30:00Z');
const register = (username: string): RegisterUser => ({
  type: 'RegisterUser',
  data: { userId: 'u-1', username, passwordHash: 'scrypt$hash', role: 'user', now },
});
const registered: UserEvent = {
  type: 'UserRegistered',
  schemaVersion: 1,
  data: {
    userId: 'u-1',
    username: 'alice',
    passwordHash: 'scrypt$hash',
    role: 'user',
    registeredAt: now.toISOString(),
  },
};
const ref = { userId: 'u-1', username: 'alice' };
const passwordChanged: UserEvent = {
  type: 'UserPasswordChanged',
  schemaVersion: 1,
  data: { ...ref, passwordHash: 'scrypt$new', changedAt: later.toISOString() },
};
const disabled: UserEvent = {
  type: 'UserDisabled',
  schemaVersion: 1,
  data: { ...ref, by: 'admin-1', reason: 'fraud', disabledAt: later.toISOString() },
};
const enabled: UserEvent = {
  type: 'UserEnabled',
  schemaVersion: 1,
  data: { ...ref, by: 'admin-1', enabledAt: later.toISOString() },
};

const changePassword = (data: Partial<ChangePassword['data']> = {}): ChangePassword => ({
  type: 'ChangePassword',
  data: { userId: 'u-1', verifiedHash: 'scrypt$hash', passwordHash: 'scrypt$new', now: later, ...data },
});
const disable = (data: Partial<DisableUser['data']> = {}): DisableUser => ({
  type: 'DisableUser',
  data: { by: 'admin-1', reason: 'fraud', configuredAdmin: false, now: later, ...data },
});
const enable = (data: Partial<EnableUser['data']> = {}): EnableUser => ({
  type: 'EnableUser',
  data: { by: 'admin-1', now: later, ...data },
});

describe('user decider', () => {
  describe('registration', () => {
    it('registers a user under a normalised name', () =>
      spec.given([]).when(register('  Alice ')).then([registered]));
    it('refuses a taken name', () =>
      spec.given([registered]).when(register('alice')).thenThrows('USERNAME_TAKEN'));
    it.each(['ab', 'has space', '-leading-dash', 'x'.repeat(65), 'émile'])(
      'refuses the username %p',
      (name) => spec.given([]).when(register(name)).thenThrows('VALIDATION_FAILED'),
    );
    it('keeps the hash and role in state, enabled, its password never changed', () =>
      spec.given([]).when(register('alice')).thenState({
        status: 'registered',
        userId: 'u-1',
        username: 'alice',
        passwordHash: 'scrypt$hash',
        role: 'user',
        registeredAt: now.toISOString(),
        passwordVersion: 0,
        disabled: false,
      }));
    it('names one stream per normalised username', () =>
      expect(userStreamId(' Alice ')).toBe(userStreamId('alice')));
  });

  describe('changing the password', () => {
    it('stores the new hash when the old password was verified against the current one', () =>
      spec.given([registered]).when(changePassword()).then([passwordChanged]));
    it('counts the change, so that tokens from before it carry an older password version', () =>
      spec
        .given([registered, passwordChanged])
        .when(changePassword({ verifiedHash: 'scrypt$new', passwordHash: 'scrypt$newer' }))
        .thenState(expect.objectContaining({ passwordHash: 'scrypt$newer', passwordVersion: 2 }) as never));
    it('refuses a change whose old password was verified against a hash that is no longer current', () =>
      spec.given([registered, passwordChanged]).when(changePassword()).thenThrows('INVALID_CREDENTIALS'));
    it('refuses a disabled account', () =>
      spec.given([registered, disabled]).when(changePassword()).thenThrows('ACCOUNT_DISABLED'));
    it('changes the password of an account enabled again', () =>
      spec.given([registered, disabled, enabled]).when(changePassword()).then([passwordChanged]));
    it('refuses a user that does not exist, or another user id than the stream holds', () => {
      spec.given([]).when(changePassword()).thenThrows('USER_NOT_FOUND');
      spec
        .given([registered])
        .when(changePassword({ userId: 'u-2' }))
        .thenThrows('USER_NOT_FOUND');
    });
  });

  describe('disabling and enabling', () => {
    it('disables an account, saying who and why', () =>
      spec.given([registered]).when(disable()).then([disabled]));
    it('disables without a reason, and trims the one given', () => {
      const { reason: _reason, ...withoutReason } = disabled.data as { reason?: string };
      spec
        .given([registered])
        .when(disable({ reason: undefined }))
        .then([{ ...disabled, data: withoutReason } as UserEvent]);
      spec
        .given([registered])
        .when(disable({ reason: '  fraud \n' }))
        .then([disabled]);
    });
    it.each(['', '   ', 'x'.repeat(501), 'lone \uD800'])('refuses the reason %p', (reason) =>
      spec.given([registered]).when(disable({ reason })).thenThrows('VALIDATION_FAILED'),
    );
    it('keeps the account disabled in state', () =>
      spec
        .given([registered])
        .when(disable())
        .thenState(expect.objectContaining({ disabled: true }) as never));
    it('refuses to disable an account twice', () =>
      spec.given([registered, disabled]).when(disable()).thenThrows('USER_ALREADY_DISABLED'));
    it('refuses an administrator disabling their own account', () =>
      spec
        .given([registered])
        .when(disable({ by: 'u-1' }))
        .thenThrows('OWN_ACCOUNT'));
    it('never disables the configured administrator', () =>
      spec
        .given([registered])
        .when(disable({ configuredAdmin: true }))
        .thenThrows('ACCOUNT_PROTECTED'));
    it('refuses a user that does not exist', () => {
      spec.given([]).when(disable()).thenThrows('USER_NOT_FOUND');
      spec.given([]).when(enable()).thenThrows('USER_NOT_FOUND');
    });
    it('enables a disabled account', () => spec.given([registered, disabled]).when(enable()).then([enabled]));
    it('keeps the account enabled in state, with its password', () =>
      spec
        .given([registered, disabled])
        .when(enable())
        .thenState(expect.objectContaining({ disabled: false, passwordHash: 'scrypt$hash' }) as never));
    it('refuses to enable an account that is not disabled', () => {
      spec.given([registered]).when(enable()).thenThrows('USER_ALREADY_ENABLED');
      spec.given([registered, disabled, enabled]).when(enable()).thenThrows('USER_ALREADY_ENABLED');
    });
    it('refuses an administrator enabling their own account (a disabled one whose token still lives)', () =>
      spec
        .given([registered, disabled])
        .when(enable({ by: 'u-1' }))
        .thenThrows('OWN_ACCOUNT'));
    it('disables again an account enabled again', () =>
      spec.given([registered, disabled, enabled]).when(disable()).then([disabled]));
  });
});
