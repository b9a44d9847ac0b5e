/** Cents as the buyer's currency would show them (the app does not know the currency: 12.34). */
export const money = (cents: number): string =>
  (cents / 100).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A time in the browser's zone and language; `—` for none. */
export const dateTime = (iso: string | null): string =>
  iso === null ? '—' : new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** A duration in milliseconds as `1d 02:03:04` or `02:03`, for countdowns. */
export const countdown = (ms: number): string => {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  const clock =
    hours > 0 || days > 0
      ? `${two(hours)}:${two(minutes)}:${two(seconds)}`
      : `${two(minutes)}:${two(seconds)}`;
  return days > 0 ? `${days}d ${clock}` : clock;
};

/** A `datetime-local` value (local time, no offset) as ISO-8601 UTC, or null when empty or not a time. */
export const localToIso = (value: string): string | null => {
  if (value === '') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
};

/** An ISO time as a `datetime-local` value in the browser's zone, to the second. */
export const isoToLocal = (iso: string): string => {
  const date = new Date(iso);
  const offset = date.getTimezoneOffset() * 60_000;
  return new Date(date.getTime() - offset).toISOString().slice(0, 19);
};

/**
 * A whole number as typed, or the text itself: forms send what the admin typed, so the API (not the browser) says
 * what is wrong with it, in its own words.
 */
export const numberOrText = (value: string): number | string =>
  /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/** The first 8 characters of an id, enough to tell orders apart on a page. */
export const shortId = (id: string): string => id.slice(0, 8);
