import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../engine/policy/duration.js';
import { checkWindows, isTimeZone, windowProblem } from '../../../engine/policy/windows.js';

describe('durations', () => {
  it('reads 30s, 5m, 1h, 1h30m and 2d, and refuses anything else', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    for (const bad of ['', '1', 'h', '1.5h', '30m1h', '-1h', 'soon'])
      expect(parseDuration(bad)).toBeUndefined();
    expect(formatDuration(5_400_000)).toBe('1h 30m');
    expect(formatDuration(999)).toBe('1s');
  });
});

describe('promotion windows', () => {
  const windows = { timezone: 'Asia/Shanghai', allow: ['Mon-Thu 10:00-16:00', 'Sat 09:00-12:00'] };

  it('are open inside a window and closed outside, in the named time zone', () => {
    // 2026-11-26 is a Thursday. 03:00 UTC is 11:00 in Shanghai (UTC+8).
    expect(checkWindows(windows, Date.parse('2026-11-26T03:00:00Z'))).toMatchObject({
      open: true,
      localTime: 'Thu 11:00 in Asia/Shanghai',
    });
    // 09:00 UTC Thursday is 17:00 in Shanghai: after the window.
    expect(checkWindows(windows, Date.parse('2026-11-26T09:00:00Z')).open).toBe(false);
    // 16:00 sharp is outside (the end is exclusive); 10:00 sharp is inside.
    expect(checkWindows(windows, Date.parse('2026-11-26T08:00:00Z')).open).toBe(false);
    expect(checkWindows(windows, Date.parse('2026-11-26T02:00:00Z')).open).toBe(true);
    // Friday 11:00 in Shanghai: no window on Fridays.
    expect(checkWindows(windows, Date.parse('2026-11-27T03:00:00Z')).open).toBe(false);
    // Saturday 10:00 in Shanghai is Saturday 02:00 UTC.
    expect(checkWindows(windows, Date.parse('2026-11-28T02:00:00Z')).open).toBe(true);
  });

  it('a day range may wrap the week', () => {
    const w = { timezone: 'UTC', allow: ['Fri-Mon 00:00-24:00'] };
    expect(checkWindows(w, Date.parse('2026-11-29T12:00:00Z')).open).toBe(true); // Sunday
    expect(checkWindows(w, Date.parse('2026-11-25T12:00:00Z')).open).toBe(false); // Wednesday
  });

  it('explain what is wrong with a window or a time zone', () => {
    expect(windowProblem('Mon-Thu 10:00-16:00')).toBeUndefined();
    expect(windowProblem('Monday 10:00-16:00')).toMatch(/is not a window/);
    expect(windowProblem('Mon 16:00-10:00')).toMatch(/ends before it starts/);
    expect(windowProblem('Mon 10:61-11:00')).toMatch(/does not exist/);
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
