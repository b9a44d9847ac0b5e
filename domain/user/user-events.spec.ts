import { decodeEvent, isUserEvent } from '../domain-events';
import { UndecodableEventError } from '../shared/upcaster';

const ref = { userId: 'u-1', username: 'alice' };

describe('user events in the registry', () => {
  it.each([
    ['UserPasswordChanged', { ...ref, passwordHash: 'scrypt$new', changedAt: '2026-12-01T10:00:00.000Z' }],
    ['UserDisabled', { ...ref, by: 'a-1', reason: 'fraud', disabledAt: '2026-12-01T10:00:00.000Z' }],
    ['UserDisabled', { ...ref, by: 'a-1', disabledAt: '2026-12-01T10:00:00.000Z' }],
    ['UserEnabled', { ...ref, by: 'a-1', enabledAt: '2026-12-01T10:00:00.000Z' }],
  ])('decodes %s version 1 as a user event', (type, data) => {
    const event = decodeEvent({ type, schemaVersion: 1, data });
    expect(event).toEqual({ type, schemaVersion: 1, data });
    expect(isUserEvent(event)).toBe(true);
  });

  it('refuses a version this release does not know', () =>
    expect(() => decodeEvent({ type: 'UserDisabled', schemaVersion: 2, data: ref })).toThrow(
      UndecodableEventError,
    ));
});
