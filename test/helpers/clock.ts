/**
 * One clock for a test and everything it runs: the GitHub stand-in, the bot, the engine, and the
 * processes it spawns. No test may depend on today's date, so CI also runs the suite with the
 * system clock moved weeks and a year ahead (libfaketime).
 */

/**
 * libfaketime's variables from this process's environment. A child started with a scrubbed
 * environment would lose them and run on the real clock while the test and its stand-ins run on
 * the moved one; every spawn in the tests passes these on. Empty when the clock is not moved.
 */
export function clockEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined && (name === 'LD_PRELOAD' || name.startsWith('FAKETIME'))) env[name] = value;
  return env;
}

/**
 * A clock that moves only when the test says so, to hand to the stand-in (`github.now`), the bot
 * and the engine (`now`) alike. It starts from the system clock, in whole seconds as GitHub's
 * timestamps are, so that what runs on the system clock (Octokit's token expiry, TLS) agrees.
 */
export class TestClock {
  private at: number;

  constructor(start = Date.now()) {
    this.at = Math.floor(start / 1000) * 1000;
  }

  /** Milliseconds since the epoch, for `now` options. */
  readonly now = (): number => this.at;

  /** The same instant as a Date, for the GitHub stand-in. */
  readonly date = (): Date => new Date(this.at);

  advance(ms: number): void {
    this.at += ms;
  }
}
