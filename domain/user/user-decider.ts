import { DomainError, invalid } from '../shared/domain-error';
import type { Decider } from '../shared/event';
import { normalizeUsername, type Role, type UserEvent } from './user-events';

export type UserState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'registered';
      readonly userId: string;
      readonly username: string;
      readonly passwordHash: string;
      readonly role: Role;
    };

export type RegisterUser = {
  readonly type: 'RegisterUser';
  readonly data: { userId: string; username: string; passwordHash: string; role: Role; now: Date };
};

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{2,63}$/;

const decide = ({ data }: RegisterUser, state: UserState): UserEvent[] => {
  const username = normalizeUsername(data.username);
  if (!USERNAME_PATTERN.test(username))
    throw invalid(
      'username must be 3 to 64 characters: letters, digits, dot, dash or underscore, starting with a letter or digit',
    );
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

const evolve = (_state: UserState, event: UserEvent): UserState => {
  const { userId, username, passwordHash, role } = event.data;
  return { status: 'registered', userId, username, passwordHash, role };
};

export const userDecider: Decider<RegisterUser, UserEvent, UserState> = {
  decide,
  evolve,
  initialState: { status: 'absent' },
};
