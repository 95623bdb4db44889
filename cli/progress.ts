/**
 * The engine's log, on stderr, readable at 300 services. On a terminal, one live line under the
 * log, cut to the terminal's width, says how far the promotion is (`synced 120/300 · verified
 * 95/300 · failed 1`) and how long the current step has taken. Elsewhere (CI logs), plain lines:
 * the counts when they changed, at most every few seconds, and a "still working" line after a
 * few seconds of silence, without control characters. A service that fails gets its own short
 * line at once, whatever the mode.
 */
import type { ApplyProgress, Logger } from '../engine/index.js';
import type { Io } from './io.js';

export interface Clock {
  now(): number;
  /** Calls `fn` every `ms`; returns a function that stops it. Never keeps the process alive. */
  every(ms: number, fn: () => void): () => void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};

/** A logger the engine can call as a function or through levels, and that can be stopped. */
export type ProgressLogger = ((line: string) => void) &
  Logger & {
    /** Counts a service's step (apply's `onProgress`). */
    track(event: ApplyProgress): void;
    stop(): void;
  };

const TICK_MS = 250;
const QUIET_MS = 5_000;

/** Columns a character takes on a terminal: 2 for East Asian wide characters and emoji. */
function columnsOf(char: string): number {
  const c = char.codePointAt(0)!;
  const wide =
    (c >= 0x1100 && c <= 0x115f) ||
    (c >= 0x2e80 && c <= 0xa4cf) ||
    (c >= 0xac00 && c <= 0xd7a3) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xfe30 && c <= 0xfe4f) ||
    (c >= 0xff00 && c <= 0xff60) ||
    (c >= 0xffe0 && c <= 0xffe6) ||
    (c >= 0x1f300 && c <= 0x1faff) ||
    (c >= 0x20000 && c <= 0x3fffd);
  return wide ? 2 : 1;
}

/** `text` cut to fit `width` terminal columns, ending in "…" when cut. */
export function fitColumns(text: string, width: number): string {
  let used = 0;
  let out = '';
  const chars = [...text];
  for (const [i, ch] of chars.entries()) {
    const w = columnsOf(ch);
    const last = i === chars.length - 1;
    if (used + w > width - (last ? 0 : 1)) return `${out}…`;
    out += ch;
    used += w;
  }
  return out;
}

/** Counts over every target of the promotion. */
class Tally {
  total = 0;
  synced = 0;
  verified = 0;
  failed = 0;
  undone = 0;
  add(e: ApplyProgress): void {
    if (e.step === 'start') this.total += e.total;
    else this[e.step]++;
  }
  text(): string {
    if (this.total === 0) return '';
    const t = this.total;
    return [
      `synced ${this.synced}/${t}`,
      `verified ${this.verified}/${t}`,
      ...(this.failed ? [`failed ${this.failed}`] : []),
      ...(this.undone ? [`undone ${this.undone}`] : []),
    ].join(' · ');
  }
}

export function progressLogger(io: Io, clock: Clock = realClock): ProgressLogger {
  let step = '';
  let since = clock.now();
  let lastWrite = since;
  let drawn = false;
  const tally = new Tally();
  let countsShown = '';
  const live = io.stderrIsTTY === true && io.stderrRaw !== undefined;
  const width = () => Math.max(20, io.stderrColumns ?? 80);
  const seconds = () => ((clock.now() - since) / 1000).toFixed(1);
  const clear = () => {
    if (drawn) io.stderrRaw!('\r\x1b[K');
    drawn = false;
  };
  const draw = () => {
    const counts = tally.text();
    if (!step && !counts) return;
    const line = `… ${seconds()} s: ${[counts, step].filter(Boolean).join(' · ')}`;
    // One line, never wrapped: a wrapped line cannot be redrawn in place.
    io.stderrRaw!(`\r\x1b[K${fitColumns(line, width() - 1)}`);
    drawn = true;
  };
  const print = (line: string) => {
    clear();
    io.stderr(line);
    lastWrite = clock.now();
    if (live) draw();
  };
  const stopTicking = clock.every(live ? TICK_MS : QUIET_MS, () => {
    if (live) return draw();
    const counts = tally.text();
    if (counts && counts !== countsShown) {
      countsShown = counts;
      print(counts);
    } else if (step && clock.now() - lastWrite >= QUIET_MS)
      print(`still working (${Math.round((clock.now() - since) / 1000)} s): ${step}`);
  });
  const write = (line: string) => {
    step = line;
    since = clock.now();
    print(line);
  };
  return Object.assign(write, {
    debug: () => {},
    info: write,
    warn: (line: string) => write(`warning: ${line}`),
    error: (line: string) => write(`error: ${line}`),
    track: (event: ApplyProgress) => {
      tally.add(event);
      if (event.step === 'failed')
        print(`failed: "${event.service}" in ${event.targetEnvironment} (${event.reason})`);
    },
    stop: () => {
      stopTicking();
      clear();
      step = '';
      // In a CI log the last counts are said once more, so the end of the log has them.
      const counts = tally.text();
      if (!live && counts && counts !== countsShown) io.stderr(counts);
      countsShown = counts;
    },
  });
}
