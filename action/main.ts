/**
 * The Action's main step: promote, with an environment lock and a deployment record. Failure is
 * reported in one place (`run`); the lock is released and the deployment closed whatever happens
 * (and again by the post step, should this step be cancelled).
 */
import * as core from '@actions/core';
import { ConfigError, loadConfigFile, messageOf, type Config, type SyncResult } from '../engine/index.js';
import { countActions, type Cancellation } from '../github/promotion.js';
import { actionCancellation, reportInterruption } from './cancel.js';
import { readInputs, STATE, type Inputs } from './io.js';
import { maskNotifyUrls } from './notify.js';
import { promote } from './promote.js';
import { isChatopsEvent, runWorkflowMode } from './workflow-mode.js';

class PromotionFailed extends Error {}

export async function run(): Promise<void> {
  core.saveState(STATE.isPost, 'true');
  if (isChatopsEvent()) {
    try {
      await runWorkflowMode();
    } catch (err) {
      report(err);
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
    if (promotion.lockHeld) throw new PromotionFailed(promotion.lockHeld);
    if (!promotion.result.ok)
      throw new PromotionFailed(
        promotion.result.targets
          .filter((t) => !t.ok)
          .map(failureMessage)
          .join('\n'),
      );
  } catch (err) {
    report(err);
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

function failureMessage(result: SyncResult): string {
  const bad = result.services.filter(
    (s) => s.action === 'refused' || s.action === 'failed' || s.action === 'rolled-back',
  );
  return `promotion ${result.from.environment} → ${result.to.environment} did not succeed: ${bad
    .map((s) => `"${s.name}" ${s.action}${s.reason ? ` (${s.reason})` : ''}: ${s.message ?? ''}`)
    .join('; ')}`;
}

/** The one place where failure is reported. */
function report(err: unknown): void {
  if (err instanceof ConfigError) {
    for (const p of err.problems) {
      core.error(p.message, {
        title: 'api7-sync config',
        file: p.file,
        startLine: p.line,
        startColumn: p.col,
      });
    }
    core.setFailed(`${err.problems.length} problem(s) in ${err.problems[0]?.file ?? 'the config'}`);
    return;
  }
  core.setFailed(messageOf(err));
}
