/**
 * The Action's main step: promote, with an environment lock and a deployment record. Failure is
 * reported in one place (`run`); the lock is released and the deployment closed whatever happens
 * (and again by the post step, should this step be cancelled).
 */
import * as core from '@actions/core';
import { loadConfigFile, SyncError, type Config } from '../engine/index.js';
import { countActions, type Cancellation } from '../github/promotion.js';
import { actionCancellation, reportInterruption } from './cancel.js';
import { readInputs, STATE, type Inputs } from './io.js';
import { maskNotifyUrls } from './notify.js';
import { present, promotionFailed } from './present.js';
import { promote } from './promote.js';
import { isChatopsEvent, runWorkflowMode } from './workflow-mode.js';

export async function run(): Promise<void> {
  core.saveState(STATE.isPost, 'true');
  if (isChatopsEvent()) {
    try {
      await runWorkflowMode();
    } catch (err) {
      present(err);
    } finally {
      core.saveState(STATE.finished, 'true');
    }
    return;
  }
  let cancellation: Cancellation | undefined;
  try {
    const inputs = readInputs();
    const config = loadConfig(inputs);
    // Only a promotion that writes has something to undo when the job is cancelled.
    if (!inputs.dryRun) cancellation = actionCancellation();
    // The run ends every session it started (lock and deployment), whatever happens.
    const promotion = await promote(inputs, config, cancellation);
    for (const [environment, why] of promotion.lostLocks)
      core.error(`the promotion into "${environment}" stopped before its next write: ${why}`);
    await promotion.announce();
    if (reportInterruption(cancellation, countActions(promotion.result))) return;
    if (promotion.lockHeld) throw new SyncError('lock-held', promotion.lockHeld);
    if (!promotion.result.ok) throw promotionFailed(promotion.result.targets);
  } catch (err) {
    present(err);
  } finally {
    cancellation?.dispose();
    core.saveState(STATE.finished, 'true');
  }
}

function loadConfig(inputs: Inputs): Config {
  const config = loadConfigFile(inputs.config, { env: process.env });
  // An explicit ca-file input wins over the config's caFile.
  if (inputs.caFile) config.controlPlane.caFile = inputs.caFile;
  // Before anything can log them: notification URLs carry their own credentials.
  maskNotifyUrls(config);
  return config;
}
