/**
 * The one reading of an HTTP `Retry-After` header (RFC 9110 §10.2.3), for the control plane,
 * GitHub and notification receivers alike: delay-seconds or an HTTP date. A value that is neither
 * gives `undefined`, so the caller falls back to its own backoff; reading it as "now" would retry
 * at once, hammering a server that asked us to slow down.
 */

/** Milliseconds to wait, or undefined when the header is absent or unreadable. */
export function retryAfterMs(
  header: string | number | readonly string[] | undefined | null,
  now: number = Date.now(),
): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  // Only a date with a time of day, as HTTP dates have: Date.parse alone takes "-5" or
  // "tomorrow 5" for some year and would turn a garbled header into a date long past.
  if (!/[a-z]/i.test(text) || !/\d{1,2}:\d{2}:\d{2}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (!Number.isFinite(at)) return undefined;
  // A date already past means "now"; that is the server's answer, not an unreadable one.
  return Math.max(0, at - now);
}
