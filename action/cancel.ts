/**
 * The Action's side of cancellation (github/promotion.ts). GitHub cancels a job with SIGINT, then
 * SIGTERM, then kills it: the first signal lets the engine undo what its rules say and the step
 * report `interrupted`; a second one, or the grace running out, stops the step at once, saying
 * what is left (the post step then releases the lock and closes the deployment).
 */
import * as core from '@actions/core';
import { SyncError } from '../engine/index.js';
import { cancelOnSignals, EXIT_INTERRUPTED, type Cancellation } from '../github/promotion.js';
import { present } from './present.js';

export function actionCancellation(): Cancellation {
  return cancelOnSignals({
    onInterrupt: (message) => core.warning(`api7-sync: ${message}`),
    onHardStop: (message) => {
      present(new SyncError('interrupted', `api7-sync: ${message}`));
      process.exit(EXIT_INTERRUPTED);
    },
  });
}

/** Marks the step failed with exit 130 when the promotion was interrupted; true if it was. */
export function reportInterruption(cancellation: Cancellation | undefined, summary: string): boolean {
  const by = cancellation?.interruptedBy;
  if (!by) return false;
  present(new SyncError('interrupted', `api7-sync: the promotion was interrupted by ${by}: ${summary}`));
  process.exitCode = EXIT_INTERRUPTED;
  return true;
}
