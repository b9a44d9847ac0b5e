import { DomainError, invalid } from '../shared/domain-error';
import type { Decider } from '../shared/event';
import type { Role, UserEvent } from './user-events';
import { USERNAME_RULE, validUsername } from './username';

export type UserState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'registered';
      readonly userId: string;
      readonly username: string;
      readonly passwordHash: string;
      readonly role: Role;
      /** ISO-8601, when the account was registered. */
      readonly registeredAt: string;
    };

export type RegisterUser = {
  readonly type: 'RegisterUser';
  readonly data: { userId: string; username: string; passwordHash: string; role: Role; now: Date };
};

const decide = ({ data }: RegisterUser, state: UserState): UserEvent[] => {
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

const evolve = (_state: UserState, event: UserEvent): UserState => {
  const { userId, username, passwordHash, role, registeredAt } = event.data;
  return { status: 'registered', userId, username, passwordHash, role, registeredAt };
};

export const userDecider: Decider<RegisterUser, UserEvent, UserState> = {
  decide,
  evolve,
  initialState: { status: 'absent' },
};
