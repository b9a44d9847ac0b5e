import { markNotificationRead, markNotificationsReadUpTo } from './notification-marks';

const now = new Date('2026-01-01T12:00:00.000Z');

describe('read marks', () => {
  it('marks one notification read by its id, on the buyer’s behalf', () => {
    expect(
      markNotificationRead({ userId: 'alice', notificationId: '01900000-0000-7000-8000-0000000000e1', now }),
    ).toEqual({
      type: 'NotificationRead',
      schemaVersion: 1,
      data: {
        userId: 'alice',
        notificationId: '01900000-0000-7000-8000-0000000000e1',
        readAt: now.toISOString(),
      },
    });
  });

  it('marks everything up to a position read, positions kept exact past 2^53', () => {
    expect(markNotificationsReadUpTo({ userId: 'alice', upTo: 2n ** 60n + 1n, now }).data).toEqual({
      userId: 'alice',
      upToPosition: '1152921504606846977',
      readAt: now.toISOString(),
    });
  });

  it('refuses what is not a notification id or a position, naming the field', () => {
    const refusal = (make: () => unknown): unknown => {
      try {
        make();
      } catch (error) {
        return error;
      }
      return null;
    };
    expect(refusal(() => markNotificationRead({ userId: 'alice', notificationId: 'x', now }))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { issues: [{ path: 'notificationId' }] },
    });
    expect(refusal(() => markNotificationsReadUpTo({ userId: 'alice', upTo: -1n, now }))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { issues: [{ path: 'upTo' }] },
    });
  });
});
