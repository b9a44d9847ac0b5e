import { DomainError, invalid } from '../shared/domain-error';
import { assertNever, type Decider } from '../shared/event';
import { isWellFormedText } from '../shared/text';
import type { Role, UserEvent } from './user-events';
import { USERNAME_RULE, validUsername } from './username';

export type RegisteredUser = {
  readonly status: 'registered';
  readonly userId: string;
  readonly username: string;
  readonly passwordHash: string;
  readonly role: Role;
  /** ISO-8601, when the account was registered. */
  readonly registeredAt: string;
  /**
   * How many times the password was changed: tokens carry it (the `pwv` claim), and one that carries fewer changes
   * was issued before the last one and is not renewed.
   */
  readonly passwordVersion: number;
  /** Disabled by an administrator: no login, no renewal, no password change until enabled again. */
  readonly disabled: boolean;
};

export type UserState = { readonly status: 'absent' } | RegisteredUser;

export type RegisterUser = {
  readonly type: 'RegisterUser';
  readonly data: { userId: string; username: string; passwordHash: string; role: Role; now: Date };
};

/**
 * The handler verified the old password (with the password hasher port) against `verifiedHash`, the hash it read,
 * then hashed the new one: the change is decided only while `verifiedHash` is still the account's password, so a
 * change that raced another one (the old password is no longer the current one) is refused.
 */
export type ChangePassword = {
  readonly type: 'ChangePassword';
  readonly data: { userId: string; verifiedHash: string; passwordHash: string; now: Date };
};

export type DisableUser = {
  readonly type: 'DisableUser';
  readonly data: {
    /** The administrator's user id. */
    by: string;
    reason?: string;
    /** The account is the configured administrator (COUPONKILL_ADMIN_USERNAME), which is never disabled. */
    configuredAdmin: boolean;
    now: Date;
  };
};

export type EnableUser = {
  readonly type: 'EnableUser';
  readonly data: { by: string; now: Date };
};

export type UserCommand = RegisterUser | ChangePassword | DisableUser | EnableUser;

export const REASON_MAX_LENGTH = 500;
export const REASON_RULE = `must be 1 to ${String(REASON_MAX_LENGTH)} characters of well-formed text (trimmed)`;

/** The reason of a disable, trimmed, or a VALIDATION_FAILED naming `reason`. */
const validReason = (reason: string): string => {
  const trimmed = reason.trim();
  if (trimmed.length === 0 || trimmed.length > REASON_MAX_LENGTH || !isWellFormedText(trimmed))
    throw invalid('reason', REASON_RULE);
  return trimmed;
};

const notFound = (what: string): DomainError => new DomainError('USER_NOT_FOUND', `no user ${what}`);

const register = ({ data }: RegisterUser, state: UserState): UserEvent[] => {
  const username = validUsername(data.username);
  if (username === null) throw invalid('username', USERNAME_RULE);
  if (state.status !== 'absent') throw new DomainError('USERNAME_TAKEN', `username ${username} is taken`);
  const { userId, passwordHash, role, now } = data;
  return [
    {
      type: 'UserRegistered',
      schemaVersion: 1,
      data: { userId, username, passwordHash, role, registeredAt: now.toISOString() },
    },
  ];
};

const changePassword = ({ data }: ChangePassword, state: UserState): UserEvent[] => {
  // A stream holds one user for ever (usernames are never reused): another id there is not this user's account.
  if (state.status === 'absent' || state.userId !== data.userId) throw notFound(data.userId);
  if (state.disabled) throw new DomainError('ACCOUNT_DISABLED', `the account ${state.username} is disabled`);
  if (data.verifiedHash !== state.passwordHash)
    throw new DomainError('INVALID_CREDENTIALS', 'the old password is not the current password');
  const { userId, username } = state;
  return [
    {
      type: 'UserPasswordChanged',
      schemaVersion: 1,
      data: { userId, username, passwordHash: data.passwordHash, changedAt: data.now.toISOString() },
    },
  ];
};

/**
 * An administrator never disables (or enables) their own account: a slip would lock them out, and a disabled admin
 * whose token still lives (up to its TTL) must not be able to enable themself again. The configured administrator is
 * never disabled: it is the operator's way in, whatever the other administrators do.
 */
const disable = ({ data }: DisableUser, state: UserState): UserEvent[] => {
  if (state.status === 'absent') throw notFound('with this username');
  if (data.by === state.userId)
    throw new DomainError('OWN_ACCOUNT', 'an administrator cannot disable their own account');
  if (data.configuredAdmin)
    throw new DomainError('ACCOUNT_PROTECTED', `${state.username} is the configured administrator`);
  if (state.disabled)
    throw new DomainError('USER_ALREADY_DISABLED', `the account ${state.username} is already disabled`);
  const reason = data.reason === undefined ? {} : { reason: validReason(data.reason) };
  const { userId, username } = state;
  return [
    {
      type: 'UserDisabled',
      schemaVersion: 1,
      data: { userId, username, by: data.by, ...reason, disabledAt: data.now.toISOString() },
    },
  ];
};

const enable = ({ data }: EnableUser, state: UserState): UserEvent[] => {
  if (state.status === 'absent') throw notFound('with this username');
  if (data.by === state.userId)
    throw new DomainError('OWN_ACCOUNT', 'an administrator cannot enable their own account');
  if (!state.disabled)
    throw new DomainError('USER_ALREADY_ENABLED', `the account ${state.username} is not disabled`);
  const { userId, username } = state;
  return [
    {
      type: 'UserEnabled',
      schemaVersion: 1,
      data: { userId, username, by: data.by, enabledAt: data.now.toISOString() },
    },
  ];
};

const decide = (command: UserCommand, state: UserState): UserEvent[] => {
  switch (command.type) {
    case 'RegisterUser':
      return register(command, state);
    case 'ChangePassword':
      return changePassword(command, state);
    case 'DisableUser':
      return disable(command, state);
    case 'EnableUser':
      return enable(command, state);
    default:
      return assertNever(command);
  }
};

const evolve = (state: UserState, event: UserEvent): UserState => {
  if (event.type === 'UserRegistered') {
    const { userId, username, passwordHash, role, registeredAt } = event.data;
    return {
      status: 'registered',
      userId,
      username,
      passwordHash,
      role,
      registeredAt,
      passwordVersion: 0,
      disabled: false,
    };
  }
  // Only a registered account's stream holds the other events.
  if (state.status === 'absent') return state;
  switch (event.type) {
    case 'UserPasswordChanged':
      return { ...state, passwordHash: event.data.passwordHash, passwordVersion: state.passwordVersion + 1 };
    case 'UserDisabled':
      return { ...state, disabled: true };
    case 'UserEnabled':
      return { ...state, disabled: false };
    default:
      return assertNever(event);
  }
};

export const userDecider: Decider<UserCommand, UserEvent, UserState> = {
  decide,
  evolve,
  initialState: { status: 'absent' },
};
