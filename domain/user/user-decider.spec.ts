import { DeciderSpecification } from '../../test/support/decider-specification';
import { userDecider, type RegisterUser } from './user-decider';
import type { UserEvent } from './user-events';
import { userStreamId } from './user-events';

const spec = DeciderSpecification.for(userDecider);
const now = new Date('2026-12-01T10:00:00Z');
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

describe('user decider', () => {
  it('registers a user under a normalised name', () =>
    spec.given([]).when(register('  Alice ')).then([registered]));
  it('refuses a taken name', () =>
    spec.given([registered]).when(register('alice')).thenThrows('USERNAME_TAKEN'));
  it.each(['ab', 'has space', '-leading-dash', 'x'.repeat(65), 'émile'])('refuses the username %p', (name) =>
    spec.given([]).when(register(name)).thenThrows('VALIDATION_FAILED'),
  );
  it('keeps the hash and role in state', () =>
    spec.given([]).when(register('alice')).thenState({
      status: 'registered',
      userId: 'u-1',
      username: 'alice',
      passwordHash: 'scrypt$hash',
      role: 'user',
      registeredAt: now.toISOString(),
    }));
  it('names one stream per normalised username', () =>
    expect(userStreamId(' Alice ')).toBe(userStreamId('alice')));
});
