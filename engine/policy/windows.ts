/**
 * Promotion windows: `protection.windows: {timezone: Asia/Shanghai, allow: ["Mon-Thu 10:00-16:00",
 * "Sat 09:00-12:00"]}`. Times are wall-clock times in the named IANA time zone, so a window means
 * the same hours all year, across daylight-saving changes.
 */

import { DAYS, WINDOW, type WindowsConfig } from '../config/windows.js';

export { isTimeZone, windowProblem, type WindowsConfig } from '../config/windows.js';

interface Window {
  days: Set<number>;
  /** Minutes after midnight, start inclusive, end exclusive. */
  from: number;
  to: number;
  text: string;
}

function parse(text: string): Window {
  const [, a, b, h1, m1, h2, m2] = WINDOW.exec(text.trim())!;
  const first = DAYS.indexOf(a!);
  const last = b === undefined ? first : DAYS.indexOf(b);
  const days = new Set<number>();
  for (let d = first; ; d = (d + 1) % 7) {
    days.add(d);
    if (d === last) break;
  }
  return { days, from: Number(h1) * 60 + Number(m1), to: Number(h2) * 60 + Number(m2), text: text.trim() };
}

/** The day of the week and the minute of the day at `at`, in `timezone`. */
function localTime(at: number, timezone: string): { day: number; minute: number; text: string } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(at));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = DAYS.indexOf(get('weekday'));
  const hour = Number(get('hour'));
  const minute = Number(get('minute'));
  return { day, minute: hour * 60 + minute, text: `${get('weekday')} ${get('hour')}:${get('minute')}` };
}

export interface WindowVerdict {
  open: boolean;
  /** "Fri 18:03 in Asia/Shanghai": the local time the verdict was made at. */
  localTime: string;
  /** The allowed windows, as written. */
  allowed: string[];
}

export function checkWindows(windows: WindowsConfig, at: number): WindowVerdict {
  const now = localTime(at, windows.timezone);
  const parsed = windows.allow.map(parse);
  const open = parsed.some((w) => w.days.has(now.day) && now.minute >= w.from && now.minute < w.to);
  return { open, localTime: `${now.text} in ${windows.timezone}`, allowed: parsed.map((w) => w.text) };
}
