import type { DomainEvent } from '../shared/event';

export type Role = 'user' | 'admin';

export type UserRegistered = DomainEvent<
  'UserRegistered',
  { userId: string; username: string; passwordHash: string; role: Role; registeredAt: string }
>;

export type UserEvent = UserRegistered;

/** One stream per username: appending with "no stream" is what makes usernames unique. */
export const userStreamId = (username: string): string => `user-${normalizeUsername(username)}`;

export const normalizeUsername = (username: string): string => username.trim().toLowerCase();
