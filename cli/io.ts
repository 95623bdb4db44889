/** Where the CLI writes: stdout carries results only; progress and diagnostics go to stderr. */
import type { SignalSource } from '../github/promotion.js';

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal, where a progress line may be redrawn in place. */
  stderrIsTTY?: boolean;
  /** The terminal's width in columns, when stderr is a terminal: a live line is cut to it. */
  readonly stderrColumns?: number;
  /** Raw stderr, without the newline `stderr()` adds: for redrawing a progress line. */
  stderrRaw?(text: string): void;
  /** Where SIGINT and SIGTERM come from while a promotion writes (absent: not listened to). */
  signals?: SignalSource;
  /** Ends the process at once: a second signal during a promotion. */
  exit?(code: number): void;
}

export const processIo: Io = {
  stdout: (text) => process.stdout.write(text + '\n'),
  stderr: (text) => process.stderr.write(text + '\n'),
  stderrRaw: (text) => process.stderr.write(text),
  env: process.env,
  stderrIsTTY: process.stderr.isTTY === true,
  // Read at each redraw: the terminal may be resized while a promotion runs.
  get stderrColumns() {
    return process.stderr.columns;
  },
  signals: process,
  exit: (code) => process.exit(code),
};
