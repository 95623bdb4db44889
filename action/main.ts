/**
 * The Action's main step: promote, with an environment lock and a deployment record. Failure is
 * reported in one place (`run`); the lock is released and the deployment closed whatever happens
 * (and again by the post step, should this step be cancelled).
 */
import * as core from '@actions/core';
import * as github from '@actions/github';
import { gitHubClient } from '../github/client.js';
import {
  ConfigError,
  createEngine,
  isFanout,
  loadConfigFile,
  summaryMarkdown,
  type Config,
  type SyncResult,
  messageOf,
} from '../engine/index.js';
import { countActions, sessionOutcome, type Cancellation } from '../github/promotion.js';
import { startSession, type PromotionSession, type SessionLog } from '../github/session.js';
import { actionCancellation, reportInterruption } from './cancel.js';
import { describeHolder } from '../github/lock.js';
import { githubTokenFor, runLockRequest } from './run-identity.js';
import { planRequest, readInputs, STATE, writeOutputs, type Inputs } from './io.js';
import { promoteFanout } from './fanout.js';
import { maskNotifyUrls, notifyFromAction } from './notify.js';
import { isChatopsEvent, runWorkflowMode } from './workflow-mode.js';

class PromotionFailed extends Error {}

/** The session's log, as annotations where a person should see it. */
const log: SessionLog = {
  debug: (m) => core.debug(m),
  info: (m) => core.info(m),
  warn: (m) => core.warning(m),
  error: (m) => core.error(m),
};

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
  let session: PromotionSession | undefined;
  let cancellation: Cancellation | undefined;
  let result: SyncResult | undefined;
  let environmentUrl: string | undefined;
  try {
    const inputs = readInputs();
    const config = loadConfig(inputs);
    // Only a promotion that writes has something to undo when the job is cancelled.
    if (!inputs.dryRun) cancellation = actionCancellation();
    if (isFanout(inputs.to)) {
      // Several targets: one session per environment, inside the fan-out (action/fanout.ts).
      const fanout = await promoteFanout(inputs, config, log, runUrl(), cancellation);
      if (reportInterruption(cancellation, countActions(fanout))) return;
      if (!fanout.ok) throw new PromotionFailed(fanout.targets.map(failureMessage).join('\n'));
      return;
    }
    environmentUrl = config.environments[inputs.to]?.gatewayUrl;
    if (!inputs.dryRun && (inputs.lock || inputs.recordDeployment)) session = await start(inputs);
    result = await promote(inputs, config, session, cancellation);
    await notifyFromAction(config, result, session?.deploymentId !== undefined);
    if (reportInterruption(cancellation, countActions(result))) return;
    if (!result.ok) throw new PromotionFailed(failureMessage(result));
  } catch (err) {
    report(err);
  } finally {
    cancellation?.dispose();
    // end() never throws: it logs what it had to leave behind as errors of this step.
    await session?.end({
      ...sessionOutcome(result, cancellation?.interruptedBy),
      environmentUrl,
      logUrl: runUrl(),
    });
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

/** Claims the lock (waiting if asked); the post step can then free it should this step be cancelled. */
async function start(inputs: Inputs): Promise<PromotionSession> {
  const githubToken = githubTokenFor(inputs);
  const { runId, serverUrl, actor, workflow } = github.context;
  const repo = github.context.repo;
  const request = runLockRequest();
  if (inputs.lock) {
    // Saved before the claim: a step cancelled mid-claim still leaves the post step its request.
    core.saveState(STATE.lockEnvironment, inputs.to);
    core.saveState(STATE.lockRequest, request);
  }
  const started = await startSession({
    github: gitHubClient(githubToken, { warn: (m) => core.warning(m) }),
    repo,
    environment: inputs.to,
    lock: inputs.lock && {
      holder: `${repo.owner}/${repo.repo} workflow "${workflow}" run ${runId} (by ${actor})`,
      url: `${serverUrl}/${repo.owner}/${repo.repo}/actions/runs/${runId}`,
      reason: `promote ${inputs.from} → ${inputs.to}`,
      request,
    },
    heartbeatMs: inputs.heartbeatMs,
    waitMs: inputs.lockWaitSeconds * 1000,
    onWait: (heldBy) =>
      core.info(
        `waiting up to ${inputs.lockWaitSeconds} s: the lock on "${inputs.to}" is ${describeHolder(heldBy)}`,
      ),
    log,
  });
  if (!started.started)
    throw new PromotionFailed(`the lock on environment "${inputs.to}" is ${describeHolder(started.heldBy)}`);
  return started.session;
}

async function promote(
  inputs: Inputs,
  config: Config,
  session: PromotionSession | undefined,
  cancellation: Cancellation | undefined,
): Promise<SyncResult> {
  const engine = createEngine({
    config,
    token: inputs.token,
    logger: (line) => core.info(line),
    signal: cancellation?.hardStop,
  });
  try {
    const plan = await core.group(`Plan ${inputs.from} → ${inputs.to}`, async () => {
      const plan = await engine.plan(planRequest(inputs));
      const planned = await engine.apply(plan, { dryRun: true });
      for (const s of planned.services)
        core.info(
          `${s.action.padEnd(10)} ${s.name} ${s.version ?? ''}${s.reason ? ` [${s.reason}] ${s.message}` : ''}`,
        );
      if (session && inputs.recordDeployment) {
        const id = await session.recordDeployment({
          ref: github.context.sha || github.context.ref,
          description: `api7-sync ${inputs.from} → ${inputs.to}`,
          payload: planned as unknown as Record<string, unknown>,
          production: /^prod(uction)?$/i.test(inputs.to),
          environmentUrl: config.environments[inputs.to]?.gatewayUrl,
          logUrl: runUrl(),
        });
        core.saveState(STATE.deploymentId, String(id));
      }
      return plan;
    });
    const result = inputs.dryRun
      ? await engine.apply(plan, { dryRun: true })
      : await core.group('Sync', () =>
          engine.apply(plan, {
            verify: inputs.verify,
            rollbackOnFailure: inputs.rollbackOnFailure,
            verifyTimeoutMs: inputs.verifyTimeoutMs,
            signal: cancellation?.signal,
            onProgress: (e) => cancellation?.track(e),
          }),
        );
    const versions = Object.fromEntries(
      result.services
        .filter((s) => ['synced', 'unchanged', 'planned'].includes(s.action))
        .map((s) => [s.name, s.version]),
    );
    writeOutputs({
      result: JSON.stringify(result),
      // On a dry run, "changed" says whether the promotion would change anything (drift checks).
      changed: result.services.some((s) => s.action === 'synced' || s.action === 'planned')
        ? 'true'
        : 'false',
      versions: JSON.stringify(versions),
    });
    // Outside a runner (npm run local-action) there may be no summary file: say so, do not fail.
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(summaryMarkdown(result)).write();
    else core.info('no job summary: GITHUB_STEP_SUMMARY is not set');
    return result;
  } finally {
    await engine.close();
  }
}

function runUrl(): string {
  const { serverUrl, runId } = github.context;
  const repo = process.env.GITHUB_REPOSITORY;
  return repo ? `${serverUrl}/${repo}/actions/runs/${runId}` : '';
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
