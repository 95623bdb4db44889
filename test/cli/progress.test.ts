/** The progress line on stderr: live on a terminal, a quiet "still working" line elsewhere. */
import { describe, expect, it } from 'vitest';
import type { Io } from '../../cli/io.js';
import { fitColumns, progressLogger, type Clock } from '../../cli/progress.js';

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

function capture(isTTY: boolean, columns?: number) {
  const out: string[] = [];
  const io: Io = {
    stdout: () => {},
    stderr: (t) => out.push(`${t}\n`),
    stderrRaw: (t) => out.push(t),
    stderrIsTTY: isTTY,
    stderrColumns: columns,
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

  it('counts services as they move and cuts the live line to the terminal width, wide characters counted twice', () => {
    const { clock, advance } = manualClock();
    const { io, text } = capture(true, 40);
    const log = progressLogger(io, clock);
    const env = { targetEnvironment: 'production' };
    log.track({ step: 'start', total: 300, ...env });
    log('syncing "服务-一" 1.0.0 into "生产网关组" and a good deal more text than fits');
    for (let i = 0; i < 120; i++) log.track({ step: 'synced', service: `s${i}`, ...env });
    for (let i = 0; i < 95; i++) log.track({ step: 'verified', service: `s${i}`, ...env });
    log.track({ step: 'failed', service: 's99', reason: 'verify-failed', ...env });
    advance(500);
    expect(text()).toContain('failed: "s99" in production (verify-failed)\n');
    const last = text().slice(text().lastIndexOf('\r\x1b[K') + 4);
    expect(last).toBe(fitColumns('… 0.5 s: synced 120/300 · verified 95/300 · failed 1 · syncing', 39));
    expect(last.endsWith('…')).toBe(true);
    log.stop();
  });

  it('fitColumns counts East Asian characters as two columns', () => {
    expect(fitColumns('生产网关组', 10)).toBe('生产网关组');
    expect(fitColumns('生产网关组', 9)).toBe('生产网关…');
    expect(fitColumns('abc', 3)).toBe('abc');
    expect(fitColumns('abcd', 3)).toBe('ab…');
  });

  it('in CI, the counts when they changed at each quiet tick, and once more at the end', () => {
    const { clock, advance } = manualClock();
    const { io, text } = capture(false);
    const log = progressLogger(io, clock);
    const env = { targetEnvironment: 'production' };
    log.track({ step: 'start', total: 2, ...env });
    log.track({ step: 'synced', service: 'a', ...env });
    advance(5_000);
    log.track({ step: 'synced', service: 'b', ...env });
    log.track({ step: 'verified', service: 'a', ...env });
    log.stop();
    expect(text()).toBe('synced 1/2 · verified 0/2\nsynced 2/2 · verified 1/2\n');
  });
});
