/**
 * The Action's promotion: its inputs translated into the one promotion run (github/promotion.ts)
 * for one environment or several (`to: eu,us,ap`, `to: "@production"`), and the run's result into
 * the step's outputs and summary. One promotion session (lock and deployment) per environment.
 */
import * as core from '@actions/core';
import * as github from '@actions/github';
import {
  createEngine,
  isFanout,
  resolveWaves,
  summaryMarkdown,
  SyncError,
  type Config,
  type SyncResult,
} from '../engine/index.js';
import { gitHubClient } from '../github/client.js';
import { describeHolder } from '../github/lock.js';
import {
  runPromotion,
  type Cancellation,
  type PlannedTarget,
  type PromotionRun,
  type SessionFactory,
} from '../github/promotion.js';
import { actionsRunUrl } from '../github/run-url.js';
import { startSession, type DeploymentRequest } from '../github/session.js';
import { planRequest, STATE, writeOutputs, type Inputs } from './io.js';
import { actionLog } from './log.js';
import { notifyFromAction } from './notify.js';
import { githubTokenFor, runLockRequest } from './run-identity.js';

/** This workflow run's page ('' outside a runner). */
export function runUrl(): string {
  const { serverUrl, runId } = github.context;
  return actionsRunUrl(serverUrl, process.env.GITHUB_REPOSITORY, runId) ?? '';
}

/** Promotes as the inputs say; writes the outputs and the summary; the run's result for the step. */
export async function promote(
  inputs: Inputs,
  config: Config,
  cancellation?: Cancellation,
): Promise<PromotionRun> {
  let targets: string[];
  try {
    targets = resolveWaves(config, inputs.to).flat();
  } catch (err) {
    if (err instanceof SyncError) throw new SyncError(err.code, `input to: ${err.message}`, { cause: err });
    throw err;
  }
  const engine = createEngine({
    config,
    token: inputs.token,
    logger: actionLog,
    signal: cancellation?.hardStop,
  });
  try {
    const { to, ...request } = planRequest(inputs);
    const saveSession = sessionSaver();
    const run = await runPromotion({
      to,
      engine,
      config,
      request,
      apply: {
        dryRun: inputs.dryRun,
        verify: inputs.verify,
        rollbackOnFailure: inputs.rollbackOnFailure,
        verifyTimeoutMs: inputs.verifyTimeoutMs,
        // Across targets the default is not atomic; for one, the engine decides.
        ...(isFanout(to) ? { atomic: inputs.atomic } : {}),
      },
      cancellation,
      sessions:
        !inputs.dryRun && (inputs.lock || inputs.recordDeployment)
          ? sessions(inputs, targets, saveSession)
          : undefined,
      beforeWrite: async (planned) => logPlans(inputs, planned),
      deployment: inputs.recordDeployment ? (target) => deployment(inputs, config, target) : undefined,
      onRecorded: (environment, id) => saveSession(environment, id),
      log: (line) => core.info(line),
      ending: (environment) => ({
        environmentUrl: config.environments[environment]?.gatewayUrl,
        logUrl: runUrl(),
      }),
      notify: (target, deploymentId) => notifyFromAction(config, target, deploymentId !== undefined),
    });
    await writeRun(run);
    return run;
  } finally {
    await engine.close();
  }
}

/** Each environment's session, claimed by the run in lock order; saved first for the post step. */
function sessions(inputs: Inputs, targets: string[], saveSession: SaveSession): SessionFactory {
  const githubToken = githubTokenFor(inputs);
  const { runId, serverUrl, actor, workflow } = github.context;
  const repo = github.context.repo;
  const request = runLockRequest();
  if (inputs.lock) core.saveState(STATE.lockRequest, request);
  const client = gitHubClient(githubToken, actionLog);
  return (environment) => {
    // Saved before the claim: a step cancelled mid-claim still leaves the post step this lock.
    saveSession(environment);
    return startSession({
      github: client,
      repo,
      environment,
      lock: inputs.lock && {
        holder: `${repo.owner}/${repo.repo} workflow "${workflow}" run ${runId} (by ${actor})`,
        url: actionsRunUrl(serverUrl, `${repo.owner}/${repo.repo}`, runId),
        reason: `promote ${inputs.from} → ${targets.join(', ')}`,
        request,
      },
      heartbeatMs: inputs.heartbeatMs,
      waitMs: inputs.lockWaitSeconds * 1000,
      onWait: (heldBy) =>
        core.info(
          `waiting up to ${inputs.lockWaitSeconds} s: the lock on "${environment}" is ${describeHolder(heldBy)}`,
        ),
      log: actionLog,
    });
  };
}

type SaveSession = (environment: string, deploymentId?: number) => void;

/** Keeps the sessions the post step ends should this step be cancelled: `{environment, deploymentId?}`. */
function sessionSaver(): SaveSession {
  const saved: { environment: string; deploymentId?: number }[] = [];
  return (environment, deploymentId) => {
    const entry = saved.find((s) => s.environment === environment);
    if (entry) entry.deploymentId = deploymentId;
    else saved.push({ environment, ...(deploymentId !== undefined ? { deploymentId } : {}) });
    core.saveState(STATE.fanoutSessions, JSON.stringify(saved));
  };
}

/** Each target's plan, as the job log shows it before anything is written. */
function logPlans(inputs: Inputs, planned: PlannedTarget[]): void {
  for (const { environment, preview } of planned) {
    if (!preview) continue;
    core.startGroup(`Plan ${inputs.from} → ${environment}`);
    for (const s of preview.services)
      core.info(
        `${s.action.padEnd(10)} ${s.name} ${s.version ?? ''}${s.reason ? ` [${s.reason}] ${s.message}` : ''}`,
      );
    core.endGroup();
  }
}

/** A target's deployment: its plan as the payload, so a reader sees what was about to run. */
function deployment(inputs: Inputs, config: Config, target: PlannedTarget): DeploymentRequest {
  const { environment, preview } = target;
  const fanout = isFanout(inputs.to);
  return {
    ref: github.context.sha || github.context.ref,
    description: `api7-sync ${inputs.from} → ${environment}${fanout ? ` (fan-out ${inputs.to})` : ''}`,
    payload: {
      ...(preview ?? { from: inputs.from, to: environment }),
      ...(fanout ? { fanout: inputs.to } : {}),
      ...(inputs.breakGlass && !preview ? { breakGlass: { reason: inputs.breakGlass } } : {}),
    },
    production: /^prod(uction)?$/i.test(environment),
    environmentUrl: config.environments[environment]?.gatewayUrl,
    logUrl: runUrl(),
  };
}

/**
 * The one outputs block: `result` (a single promotion's document for one target, the multi-target
 * document for several), `changed` (on a dry run: whether it would change anything) and
 * `versions` (per target when there are several), and the job summary.
 */
async function writeRun(run: PromotionRun): Promise<void> {
  const { targets } = run.result;
  const changed = targets.some((t) =>
    t.services.some((s) => s.action === 'synced' || s.action === 'planned'),
  );
  const versions = Object.fromEntries(targets.map((t) => [t.to.environment, runningVersions(t)]));
  writeOutputs({
    result: JSON.stringify(run.single ? targets[0] : run.result),
    changed: changed ? 'true' : 'false',
    versions: JSON.stringify(run.single ? runningVersions(targets[0]!) : versions),
  });
  // Outside a runner (npm run local-action) there may be no summary file: say so, do not fail.
  if (process.env.GITHUB_STEP_SUMMARY)
    await core.summary.addRaw(targets.map(summaryMarkdown).join('\n')).write();
  else core.info('no job summary: GITHUB_STEP_SUMMARY is not set');
}

/** Service name → the version the target runs (or would run, on a dry run). */
function runningVersions(result: SyncResult): Record<string, string | null> {
  return Object.fromEntries(
    result.services
      .filter((s) => ['synced', 'unchanged', 'planned'].includes(s.action))
      .map((s) => [s.name, s.version]),
  );
}
