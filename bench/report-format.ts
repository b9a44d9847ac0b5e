import type { AuditResult } from './read-model-audit';

/** A number for the report: thousands separated, `digits` decimals. */
export const n = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** A ratio for the report: `1.23×`. */
export const x = (value: number): string => `${value.toFixed(2)}×`;

/** A plain-text table: the first row is the header, the first column left-aligned, the others right-aligned. */
export const table = (rows: readonly (readonly string[])[]): string => {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length))) ?? [];
  const line = (row: readonly string[]) =>
    row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [line(rows[0] ?? []), rule, ...rows.slice(1).map(line)].join('\n');
};

/** An audit's line in the correctness table: what was compared, or the first mismatches. */
export const auditDetail = (a: AuditResult): string =>
  a.equal
    ? `${n(a.coupons)} coupons, ${n(a.orders)} orders in every read model`
    : a.mismatches.slice(0, 3).join('; ');
