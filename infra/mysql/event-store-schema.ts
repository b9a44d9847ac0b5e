import type { Pool } from 'mysql2/promise';

/**
 * Positions are assigned under one row lock (event_log_head) held to COMMIT, so commit order equals position order and a
 * reader paging by position can never skip an event that commits late. Group commit makes that one lock cheap.
 */
const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS events (
    global_position BIGINT UNSIGNED NOT NULL,
    stream_id VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    stream_revision BIGINT UNSIGNED NOT NULL,
    event_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    event_type VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    schema_version SMALLINT UNSIGNED NOT NULL,
    data LONGTEXT NOT NULL,
    metadata TEXT NOT NULL,
    recorded_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (global_position),
    UNIQUE KEY uq_events_stream_revision (stream_id, stream_revision),
    UNIQUE KEY uq_events_event_id (event_id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  `CREATE TABLE IF NOT EXISTS event_log_head (
    id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
    last_position BIGINT UNSIGNED NOT NULL
  ) ENGINE=InnoDB`,
  `INSERT IGNORE INTO event_log_head (id, last_position) VALUES (1, 0)`,
];

export const migrateEventStore = async (pool: Pool): Promise<void> => {
  for (const statement of STATEMENTS) await pool.query(statement);
};
