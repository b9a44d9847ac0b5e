/** The per-user coupon statistics read model's tables. */
export const statsTable = (suffix: string): string => `user_coupon_stats${suffix}`;
export const statsStateTable = (suffix: string): string => `stats_state${suffix}`;
