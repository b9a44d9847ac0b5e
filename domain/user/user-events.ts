import type { DomainEvent } from '../shared/event';
import type { Upcaster } from '../shared/upcaster';
import { normalizeUsername } from './username';

export type Role = 'user' | 'admin';

export type UserRegistered = DomainEvent<
  'UserRegistered',
  { userId: string; username: string; passwordHash: string; role: Role; registeredAt: string }
>;

export type UserEvent = UserRegistered;

/** The schema version each user event is written with today. */
export const USER_EVENT_VERSIONS: { readonly [T in UserEvent['type']]: number } = { UserRegistered: 1 };

export const USER_UPCASTERS: readonly Upcaster[] = [];

/** One stream per (normalised) username: appending with "no stream" is what makes usernames unique. */
export const userStreamId = (username: string): string => `user-${normalizeUsername(username)}`;
