import type { DomainEvent } from '../shared/event';
import type { Upcaster } from '../shared/upcaster';
import { normalizeUsername } from './username';

export type Role = 'user' | 'admin';

/** Every user event names its user twice: the id tokens carry and the (normalised) username its stream is keyed by. */
interface UserRef {
  userId: string;
  username: string;
}

export type UserRegistered = DomainEvent<
  'UserRegistered',
  UserRef & { passwordHash: string; role: Role; registeredAt: string }
>;

/**
 * The user set a new password, after proving the old one. `passwordHash` is the new one's (scrypt, as at
 * registration). Tokens issued before it can no longer be renewed (their `pwv` claim counts fewer changes).
 */
export type UserPasswordChanged = DomainEvent<
  'UserPasswordChanged',
  UserRef & { passwordHash: string; changedAt: string }
>;

/**
 * An administrator (`by`, a user id) disabled the account: it cannot log in, renew a token or change its password
 * until enabled again. `reason`, when given, is the administrator's note (1 to 500 characters).
 */
export type UserDisabled = DomainEvent<
  'UserDisabled',
  UserRef & { by: string; reason?: string; disabledAt: string }
>;

/** An administrator (`by`) enabled a disabled account again. */
export type UserEnabled = DomainEvent<'UserEnabled', UserRef & { by: string; enabledAt: string }>;

export type UserEvent = UserRegistered | UserPasswordChanged | UserDisabled | UserEnabled;

/** The schema version each user event is written with today. */
export const USER_EVENT_VERSIONS: { readonly [T in UserEvent['type']]: number } = {
  UserRegistered: 1,
  UserPasswordChanged: 1,
  UserDisabled: 1,
  UserEnabled: 1,
};

export const USER_UPCASTERS: readonly Upcaster[] = [];

/** One stream per (normalised) username: appending with "no stream" is what makes usernames unique. */
export const userStreamId = (username: string): string => `user-${normalizeUsername(username)}`;
