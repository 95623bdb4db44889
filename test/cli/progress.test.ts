/** The progress line on stderr: live on a terminal, a quiet "still working" line elsewhere. */
import { describe, expect, it } from 'vitest';
import type { Io } from '../../cli/io.js';
import { progressLogger, type Clock } from '../../cli/progress.js';

/** A clock the test moves by hand: no wall-clock waits. */
function manualClock() {
  let now = 0;
  const timers: { ms: number; next: number; fn: () => void; live: boolean }[] = [];
  const clock: Clock = {
    now: () => now,
    every(ms, fn) {
      const timer = { ms, next: now + ms, fn, live: true };
      timers.push(timer);
      return () => (timer.live = false);
    },
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = timers.filter((t) => t.live && t.next <= end).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      now = due.next;
      due.next += due.ms;
      due.fn();
    }
    now = end;
  };
  return { clock, advance };
}

function capture(isTTY: boolean) {
  const out: string[] = [];
  const io: Io = {
    stdout: () => {},
    stderr: (t) => out.push(`${t}\n`),
    stderrRaw: (t) => out.push(t),
    stderrIsTTY: isTTY,
    env: {},
  };
  return { io, text: () => out.join('') };
}

describe('progress on stderr', () => {
  it('on a terminal, redraws one line with the time the current step has taken', () => {
    const { clock, advance } = manualClock();
    const { io, text } = capture(true);
    const log = progressLogger(io, clock);
    log('syncing "httpbin API" 1.0.0 into "生产网关组"');
    advance(2_000);
    expect(text()).toContain('\r\x1b[K… 2.0 s: syncing "httpbin API" 1.0.0 into "生产网关组"');
    log('verifying "httpbin API"');
    advance(500);
    // A new step starts from zero, on a fresh line under the finished one.
    expect(text()).toContain('\r\x1b[Kverifying "httpbin API"\n');
    expect(text().endsWith('\r\x1b[K… 0.5 s: verifying "httpbin API"')).toBe(true);
    log.stop();
    expect(text().endsWith('\r\x1b[K')).toBe(true);
    const before = text();
    advance(5_000);
    expect(text()).toBe(before);
  });

  it('elsewhere, prints plain lines and a "still working" line after 5 s of silence', () => {
    const { clock, advance } = manualClock();
    const { io, text } = capture(false);
    const log = progressLogger(io, clock);
    log('syncing "httpbin API" 1.0.0 into "生产网关组"');
    advance(4_000);
    expect(text()).toBe('syncing "httpbin API" 1.0.0 into "生产网关组"\n');
    advance(6_000);
    expect(text().split('\n')).toEqual([
      'syncing "httpbin API" 1.0.0 into "生产网关组"',
      'still working (5 s): syncing "httpbin API" 1.0.0 into "生产网关组"',
      'still working (10 s): syncing "httpbin API" 1.0.0 into "生产网关组"',
      '',
    ]);
    expect(text()).not.toContain('\x1b');
    log.warn('TLS verification is off');
    expect(text()).toMatch(/warning: TLS verification is off\n$/);
    log.stop();
  });
});
