/**
 * How a promotion window is written in the config (`protection.windows`): the shape, the day
 * names, the text of one window, and the time zone. Checking the clock against the windows is the
 * window policy's job (policy/windows.ts); the config only needs to know the text is right.
 */

export interface WindowsConfig {
  timezone: string;
  allow: string[];
}

/** Day names as windows are written, in `Date.getDay()` order. */
export const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
/** One window: a day or day range, then a time range. */
export const WINDOW = /^([A-Z][a-z]{2})(?:-([A-Z][a-z]{2}))?\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;

/** Why a window's text is not one, or undefined when it is. */
export function windowProblem(text: string): string | undefined {
  const m = WINDOW.exec(text.trim());
  if (!m)
    return `"${text}" is not a window; write a day or a day range, then a time range: "Mon-Thu 10:00-16:00"`;
  const [, a, b, h1, m1, h2, m2] = m;
  for (const d of [a, b])
    if (d !== undefined && !DAYS.includes(d)) return `"${d}" is not a day; use ${DAYS.join(', ')}`;
  const from = Number(h1) * 60 + Number(m1);
  const to = Number(h2) * 60 + Number(m2);
  if (Number(m1) > 59 || Number(m2) > 59 || from > 24 * 60 || to > 24 * 60)
    return `"${text}" has a time that does not exist`;
  if (to <= from) return `"${text}" ends before it starts; a window cannot cross midnight, write two`;
  return undefined;
}

/** Whether the text names a time zone this runtime knows. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
