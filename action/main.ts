/**
 * The Action's main step: promote, with an environment lock and a deployment record. Failure is
 * reported in one place (`run`); the lock is released and the deployment closed whatever happens
 * (and again by the post step, should this step be cancelled).
 */
import * as core from '@actions/core';
import * as github from '@actions/github';
import {
  ConfigError,
  createEngine,
  loadConfigFile,
  resultMarkdown,
  type Config,
  type SyncResult,
} from '../engine/index.js';
import type { GitHubRequest, Repo } from '../github/api.js';
import { createDeployment, setDeploymentStatus, type DeploymentRecord } from '../github/deployment.js';
import { describeHolder, EnvironmentLock, LOCK_HEARTBEAT_MS, type HeldLock } from '../github/lock.js';
import { InputError, readInputs, STATE, writeOutputs, type Inputs } from './io.js';
import { notifyFromAction } from './notify.js';

class PromotionFailed extends Error {}

/** What the run holds and must give back. */
interface Held {
  github?: GitHubRequest;
  repo?: Repo;
  lock?: HeldLock;
  deployment?: DeploymentRecord;
  heartbeat?: NodeJS.Timeout;
}

export async function run(): Promise<void> {
  core.saveState(STATE.isPost, 'true');
  const held: Held = {};
  let outcome: { ok: boolean; description: string; environmentUrl?: string } = {
    ok: false,
    description: 'api7-sync did not finish',
  };
  try {
    const inputs = readInputs();
    const config = loadConfig(inputs);
    outcome.environmentUrl = config.environments[inputs.to]?.gatewayUrl;
    if (inputs.lock || (inputs.recordDeployment && !inputs.dryRun)) {
      if (!inputs.githubToken)
        throw new InputError(
          'input github-token is empty; keep its default (${{ github.token }}) or set lock: false and record-deployment: false',
        );
      held.github = github.getOctokit(inputs.githubToken);
      held.repo = github.context.repo;
    }
    if (inputs.lock && !inputs.dryRun) await takeLock(inputs, held);
    const result = await promote(inputs, config, held);
    await notifyFromAction(config, result, Boolean(held.deployment));
    outcome = { ...outcome, ok: result.ok, description: summarize(result) };
    if (!result.ok) throw new PromotionFailed(failureMessage(result));
  } catch (err) {
    report(err);
  } finally {
    await giveBack(held, outcome);
    core.saveState(STATE.finished, 'true');
  }
}

function loadConfig(inputs: Inputs): Config {
  const config = loadConfigFile(inputs.config, { env: process.env });
  // An explicit ca-file input wins over the config's caFile.
  if (inputs.caFile) config.controlPlane.caFile = inputs.caFile;
  return config;
}

async function takeLock(inputs: Inputs, held: Held): Promise<void> {
  const { runId, serverUrl, actor, workflow } = github.context;
  const lock = new EnvironmentLock(held.github!, held.repo!);
  const outcome = await lock.claimWaiting(
    inputs.to,
    {
      holder: `${held.repo!.owner}/${held.repo!.repo} workflow "${workflow}" run ${runId} (by ${actor})`,
      url: `${serverUrl}/${held.repo!.owner}/${held.repo!.repo}/actions/runs/${runId}`,
      reason: `promote ${inputs.from} → ${inputs.to}`,
    },
    {
      waitMs: inputs.lockWaitSeconds * 1000,
      onWait: (heldBy) =>
        core.info(
          `waiting up to ${inputs.lockWaitSeconds} s: the lock on "${inputs.to}" is ${describeHolder(heldBy)}`,
        ),
    },
  );
  if (!outcome.claimed) {
    throw new PromotionFailed(`the lock on environment "${inputs.to}" is ${describeHolder(outcome.heldBy)}`);
  }
  if (outcome.tookOverFrom) {
    core.warning(
      `took over the expired lock on "${inputs.to}", which was ${describeHolder(outcome.tookOverFrom)}`,
    );
  }
  held.lock = outcome.lock;
  core.saveState(STATE.lockEnvironment, inputs.to);
  core.saveState(STATE.lockSha, outcome.lock.sha);
  held.heartbeat = setInterval(() => {
    lock
      .renew(held.lock!)
      .then((renewed) => {
        if (renewed) {
          held.lock = renewed;
          core.saveState(STATE.lockSha, renewed.sha);
        } else core.warning(`the lock on "${inputs.to}" is no longer ours`);
      })
      .catch((err: unknown) => core.warning(`renewing the lock failed: ${(err as Error).message}`));
  }, LOCK_HEARTBEAT_MS);
  held.heartbeat.unref();
}

async function promote(inputs: Inputs, config: Config, held: Held): Promise<SyncResult> {
  const engine = createEngine({ config, token: inputs.token, logger: (line) => core.info(line) });
  try {
    const plan = await core.group(`Plan ${inputs.from} → ${inputs.to}`, async () => {
      const plan = await engine.plan({
        from: inputs.from,
        to: inputs.to,
        services: inputs.services.length ? inputs.services : undefined,
        expectVersion: inputs.version,
        newVersion: inputs.newVersion,
        verify: inputs.verify,
      });
      const planned = await engine.apply(plan, { dryRun: true });
      for (const s of planned.services)
        core.info(
          `${s.action.padEnd(10)} ${s.name} ${s.version ?? ''}${s.reason ? ` [${s.reason}] ${s.message}` : ''}`,
        );
      if (held.github && inputs.recordDeployment && !inputs.dryRun) {
        held.deployment = await createDeployment(held.github, held.repo!, {
          ref: github.context.sha || github.context.ref,
          environment: inputs.to,
          description: `api7-sync ${inputs.from} → ${inputs.to}`,
          payload: planned,
          production: /^prod(uction)?$/i.test(inputs.to),
        });
        core.saveState(STATE.deploymentId, String(held.deployment.id));
        await setDeploymentStatus(held.github, held.repo!, held.deployment, 'in_progress', {
          description: `promoting from ${inputs.from}`,
          environmentUrl: config.environments[inputs.to]?.gatewayUrl,
          logUrl: runUrl(),
        });
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
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(resultMarkdown(result)).write();
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

function summarize(result: SyncResult): string {
  const counts = new Map<string, number>();
  for (const s of result.services) counts.set(s.action, (counts.get(s.action) ?? 0) + 1);
  return [...counts].map(([action, n]) => `${n} ${action}`).join(', ');
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
  core.setFailed(err instanceof Error ? err.message : String(err));
}

/** Releases the lock and closes the deployment; failures here are warnings, never hidden. */
async function giveBack(
  held: Held,
  outcome: { ok: boolean; description: string; environmentUrl?: string },
): Promise<void> {
  if (held.heartbeat) clearInterval(held.heartbeat);
  if (held.github && held.deployment) {
    try {
      await setDeploymentStatus(
        held.github,
        held.repo!,
        held.deployment,
        outcome.ok ? 'success' : 'failure',
        {
          description: outcome.description,
          environmentUrl: outcome.environmentUrl,
          logUrl: runUrl(),
        },
      );
    } catch (err) {
      core.warning(`could not update the deployment status: ${(err as Error).message}`);
    }
  }
  if (held.github && held.lock) {
    try {
      const released = await new EnvironmentLock(held.github, held.repo!).release(
        held.lock.info.environment,
        held.lock.sha,
      );
      core.info(
        released
          ? `released the lock on "${held.lock.info.environment}"`
          : `the lock on "${held.lock.info.environment}" was no longer ours`,
      );
    } catch (err) {
      core.warning(`could not release the lock: ${(err as Error).message}`);
    }
  }
}
