const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * True when the string is well-formed UTF-16 (no lone surrogate). A lone surrogate has no UTF-8 encoding: MySQL,
 * Redis and JSON consumers would each store or show it differently (as U+FFFD, as an escape, or refuse it).
 */
export const isWellFormedText = (value: string): boolean => !LONE_SURROGATE.test(value);
