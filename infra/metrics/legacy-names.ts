/** The release that stops serving the names of 0.2 and before. */
export const LEGACY_NAMES_REMOVED_IN = '0.3';

/**
 * Every metric family renamed in 0.2 (`couponkill_` prefix, Prometheus naming: https://prometheus.io/docs/practices/naming/),
 * new name → old name. An explicit list, so that grep finds both names; the client library's `process_*` and
 * `nodejs_*` families were never renamed.
 */
export const RENAMED: ReadonlyMap<string, string> = new Map([
  ['couponkill_http_requests_total', 'http_requests_total'],
  ['couponkill_http_request_duration_seconds', 'http_request_duration_seconds'],
  ['couponkill_seckill_outcomes_total', 'seckill_outcomes_total'],
  ['couponkill_seckill_shed_total', 'seckill_shed_total'],
  ['couponkill_read_shed_total', 'read_shed_total'],
  ['couponkill_event_store_append_queue_depth', 'event_store_append_queue_depth'],
  ['couponkill_event_store_append_queue_limit', 'event_store_append_queue_limit'],
  ['couponkill_event_store_appends_shed_total', 'event_store_appends_shed_total'],
  ['couponkill_gate_recoveries_total', 'gate_recoveries_total'],
  ['couponkill_gate_recovered_coupons_total', 'gate_recovered_coupons_total'],
  ['couponkill_reservations_settled_total', 'seckill_reservations_settled_total'],
  ['couponkill_password_hashes_running', 'password_hashes_running'],
  ['couponkill_password_hashes_waiting', 'password_hashes_waiting'],
  ['couponkill_password_hashes_shed_total', 'password_hashes_shed_total'],
  ['couponkill_read_your_writes_waiters', 'read_your_writes_waiters'],
  ['couponkill_read_your_writes_checkpoint_reads_total', 'read_your_writes_checkpoint_reads_total'],
  ['couponkill_order_expiry_decisions_total', 'order_expiry_decisions_total'],
  ['couponkill_notification_streams_open', 'notification_streams'],
  ['couponkill_notification_deliveries_total', 'notification_deliveries_total'],
  ['couponkill_reservations_fired_total', 'reservations_fired_total'],
  ['couponkill_projection_dead_letters_total', 'projection_dead_letters_total'],
  ['couponkill_projector_owned_partitions', 'projector_owned_partitions'],
  ['couponkill_circuit_breaker_state', 'circuit_breaker_state'],
  ['couponkill_circuit_breaker_refusals_total', 'circuit_breaker_refusals_total'],
  ['couponkill_projection_lag_events', 'projection_lag_events'],
  ['couponkill_projection_partition_lag_events', 'projection_partition_lag_events'],
  ['couponkill_projection_dead_letters', 'projection_dead_letters'],
]);

/** `# HELP <name> <text>` or `# TYPE <name> <type>`. */
const COMMENT = /^# (HELP|TYPE) (\S+)(?: (.*))?$/;

/**
 * The same exposition (Prometheus text format 0.0.4) with every renamed family also under its old name, right after
 * the new one, so dashboards and alerts written for 0.1 keep working for one release. Its HELP says it is deprecated
 * and by what it was replaced. A family's samples are every line up to the next HELP, so histograms carry their
 * `_bucket`, `_sum` and `_count` samples over and `_total` counters keep their suffix; families not renamed are left
 * as they are.
 */
export const withLegacyNames = (text: string): string => {
  const out: string[] = [];
  let family: { readonly name: string; readonly old: string; readonly lines: string[] } | null = null;
  const flush = (): void => {
    if (family === null) return;
    for (const line of family.lines) out.push(legacyLine(line, family.name, family.old));
    family = null;
  };
  for (const line of text.split('\n')) {
    const comment = COMMENT.exec(line);
    if (line === '' || comment?.[1] === 'HELP') flush();
    if (comment?.[1] === 'HELP') {
      const old = RENAMED.get(comment[2] ?? '');
      if (old !== undefined) family = { name: comment[2] ?? '', old, lines: [] };
    }
    out.push(line);
    family?.lines.push(line);
  }
  flush();
  return out.join('\n');
};

/** One line of a renamed family under its old name. */
const legacyLine = (line: string, name: string, old: string): string => {
  const comment = COMMENT.exec(line);
  if (comment?.[1] === 'HELP')
    return `# HELP ${old} ${comment[3] ?? ''} (deprecated: renamed to ${name}, removed in ${LEGACY_NAMES_REMOVED_IN})`;
  if (comment?.[1] === 'TYPE') return `# TYPE ${old} ${comment[3] ?? ''}`;
  return line.startsWith(name) ? `${old}${line.slice(name.length)}` : line;
};
