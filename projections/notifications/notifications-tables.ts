/** The notifications read model's tables and the columns its queries return. */
export const notificationsTable = (suffix: string): string => `notifications${suffix}`;
/** One row per notification a buyer marked read by its id (kept even before the notification itself arrives). */
export const notificationReadsTable = (suffix: string): string => `notification_reads${suffix}`;
/** Per buyer, the position up to which everything is read ("mark all read"); only ever raised. */
export const notificationReadMarksTable = (suffix: string): string => `notification_read_marks${suffix}`;

export const NOTIFICATION_COLUMNS = 'notification_id, user_id, kind, payload, created_at, position, is_read';
