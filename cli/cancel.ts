/**
 * The CLI's side of cancellation (github/promotion.ts): a promotion that writes listens for
 * SIGINT and SIGTERM, says on stderr what happens, and on a hard stop says what is left and
 * exits 130 at once. Plans and dry runs write nothing and keep the default (the process ends).
 */
import { cancelOnSignals, EXIT_INTERRUPTED, type Cancellation } from '../github/promotion.js';
import type { Io } from './io.js';

/** Milliseconds the undo may take after the first signal (tests lower it). */
export const GRACE_VARIABLE = 'API7_SYNC_CANCEL_GRACE_MS';

export function cliCancellation(io: Io, command: string, before: () => void): Cancellation | undefined {
  if (!io.signals) return undefined;
  const raw = io.env[GRACE_VARIABLE];
  const graceMs = raw && Number.isInteger(Number(raw)) && Number(raw) > 0 ? Number(raw) : undefined;
  return cancelOnSignals({
    source: io.signals,
    graceMs,
    onInterrupt: (message) => {
      before();
      io.stderr(`api7-sync ${command}: ${message}`);
    },
    onHardStop: (message) => {
      before();
      io.stderr(`api7-sync ${command}: ${message}`);
      io.exit?.(EXIT_INTERRUPTED);
    },
  });
}
