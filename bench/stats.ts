/** Nearest-rank percentile of unsorted numbers; 0 for none. */
export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
};

export const ratio = (value: number, baseline: number): number => (baseline > 0 ? value / baseline : 0);
