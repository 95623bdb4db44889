/**
 * The engine's log, on stderr. On a terminal, a live line under the log shows how long the
 * current step (often verification, which waits on the gateway) has been running; elsewhere
 * (CI logs), a "still working" line every few seconds of silence says the same without control
 * characters.
 */
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
export type ProgressLogger = ((line: string) => void) & {
  debug(line: string): void;
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
  stop(): void;
};

const TICK_MS = 250;
const QUIET_MS = 5_000;

export function progressLogger(io: Io, clock: Clock = realClock): ProgressLogger {
  let step = '';
  let since = clock.now();
  let lastWrite = since;
  let drawn = false;
  const live = io.stderrIsTTY === true && io.stderrRaw !== undefined;
  const seconds = () => ((clock.now() - since) / 1000).toFixed(1);
  const clear = () => {
    if (drawn) io.stderrRaw!('\r\x1b[K');
    drawn = false;
  };
  const draw = () => {
    if (!step) return;
    io.stderrRaw!(`\r\x1b[K… ${seconds()} s: ${step}`);
    drawn = true;
  };
  const stopTicking = clock.every(live ? TICK_MS : QUIET_MS, () => {
    if (live) draw();
    else if (step && clock.now() - lastWrite >= QUIET_MS) {
      io.stderr(`still working (${Math.round((clock.now() - since) / 1000)} s): ${step}`);
      lastWrite = clock.now();
    }
  });
  const write = (line: string) => {
    clear();
    io.stderr(line);
    step = line;
    since = lastWrite = clock.now();
    if (live) draw();
  };
  return Object.assign(write, {
    debug: () => {},
    info: write,
    warn: (line: string) => write(`warning: ${line}`),
    error: (line: string) => write(`error: ${line}`),
    stop: () => {
      stopTicking();
      clear();
      step = '';
    },
  });
}
