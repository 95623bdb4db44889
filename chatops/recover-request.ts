/**
 * The recovery of one interrupted request (recovery.ts finds it): every target is ended, not
 * only the one whose deployment led to it. A fan-out (`/sync eu,us`, a wave of `@production`)
 * holds a lock and a deployment per target; each deployment gets a final status, each lock still
 * held for the request is released, and the request is written `interrupted` with each target's
 * outcome and what it runs now, in the status comment and the check run alike.
 */
import { setDeploymentStatus } from '../github/deployment.js';
import { EnvironmentLock } from '../github/lock.js';
import type { CommandContext } from './context.js';
import { lockRequestId } from './lock-holder.js';
import { moveRequest, StaleRequest, type TrackedRequest } from './requests.js';
import { whatRunsNow } from './standing.js';
import { targetsOf, type RequestState } from './state.js';

const WHY = 'interrupted: the process running it stopped';

/**
 * Ends every target of `tracked`, a request `running` whose process died. `deployments` are the
 * request's deployments already known by environment; a target missing there is looked up.
 */
export async function recoverRequest(
  reading: CommandContext,
  tracked: TrackedRequest,
  deployments: Map<string, number>,
): Promise<void> {
  const { state } = tracked;
  // What each target runs now is read through the config on the default branch.
  const { data } = await reading.pr.github.request('GET /repos/{owner}/{repo}', { ...reading.pr.repo });
  const ctx: CommandContext = { ...reading, defaultBranch: String(data.default_branch ?? 'main') };
  const outcomes: string[] = [];
  const standing: string[] = [];
  for (const environment of targetsOf(state)) {
    const id = deployments.get(environment) ?? (await findDeployment(ctx, state, environment))?.id;
    outcomes.push(`- \`${environment}\`: ${await endTarget(ctx, state, environment, id)}`);
    standing.push(`What \`${environment}\` runs now:\n\n${await whatRunsNow(ctx, environment)}`);
  }
  const body = `The run was interrupted: the process running it stopped.\n\n${outcomes.join('\n')}\n\n${standing.join('\n\n')}\n\nCheck it, then ask again with \`/sync ${targetsOf(state).join(',')}\` or \`/rollback\`.`;
  try {
    await moveRequest(
      ctx,
      tracked,
      'interrupted',
      body,
      {},
      {
        status: 'completed',
        conclusion: 'neutral',
        completed_at: new Date(ctx.settings.now()).toISOString(),
        output: {
          title: 'Interrupted',
          // Cut to GitHub's limit where the state is written (checkOutput).
          summary: `**Interrupted**: ${body}`,
        },
      },
    );
  } catch (err) {
    if (!(err instanceof StaleRequest)) throw err;
    ctx.settings.log.warn(`recovery of request ${state.request}: ${err.message}`);
  }
  ctx.settings.log.warn(
    `recovered interrupted request ${state.request} of ${ctx.pr.repository}: ${outcomes.map((o) => o.slice(2)).join('; ')}`,
  );
}

/** Closes one target's deployment (unless its run did) and frees its lock if still ours. */
async function endTarget(
  ctx: CommandContext,
  state: RequestState,
  environment: string,
  deploymentId: number | undefined,
): Promise<string> {
  let deployment = 'no deployment was recorded for it';
  if (deploymentId !== undefined) {
    const latest = await latestStatus(ctx, deploymentId);
    // A recovery that stopped half-way (a GitHub error) closed it already: it is ours to report.
    if (latest?.state === 'failure' && latest.description === WHY)
      deployment = `deployment #${deploymentId} is marked failed`;
    // A run that closed its deployment and then died: the deployment's word stands (it was
    // written by the run that knew the outcome).
    else if (latest && latest.state !== 'in_progress')
      deployment = `deployment #${deploymentId} was already closed by the run (${latest.state})`;
    else {
      await setDeploymentStatus(ctx.pr.github, ctx.pr.repo, { id: deploymentId }, 'failure', {
        description: WHY,
      });
      deployment = `deployment #${deploymentId} is marked failed`;
    }
  }
  const lock = new EnvironmentLock(ctx.pr.github, ctx.pr.repo, ctx.settings.now);
  const released = await lock.releaseIfHeldBy(
    environment,
    lockRequestId(ctx.pr.repository, state.pr, state.request),
  );
  return `${deployment}; ${released ? 'its lock is released' : 'its lock was not held for this request (released already, or taken by another run) and was left alone'}`;
}

/** What a deployment of the app's says about the run that recorded it (see run-steps.ts). */
export interface DeploymentMarker {
  pr?: number;
  request?: number;
  environment?: string;
  checkRun?: number;
  /** The signed state of a request not written yet (see `unsavedRequest`). */
  state?: string;
}

export function markerOf(payload: unknown): DeploymentMarker | undefined {
  return (payload as { api7Sync?: DeploymentMarker } | null)?.api7Sync;
}

/**
 * The app's own deployment of a request into `environment`, when the sweep's list of recent
 * deployments did not hold it (a fan-out wider than that list, or others created since).
 */
export async function findDeployment(
  ctx: CommandContext,
  request: { pr: number; request: number },
  environment: string,
): Promise<{ id: number; marker: DeploymentMarker } | undefined> {
  const { data } = await ctx.pr.github.request('GET /repos/{owner}/{repo}/deployments', {
    ...ctx.pr.repo,
    environment,
    per_page: 30,
  });
  const app = ctx.settings.appLogin.toLowerCase();
  for (const d of data as { id: number; creator?: { login?: string } | null; payload?: unknown }[]) {
    // Anyone with write access can create a deployment naming any request: only the app's count.
    const marker = markerOf(d.payload);
    if (d.creator?.login?.toLowerCase() !== app || !marker) continue;
    if (marker.pr === request.pr && marker.request === request.request && marker.environment === environment)
      return { id: d.id, marker };
  }
  return undefined;
}

/** The deployment's latest status, if it has one. */
async function latestStatus(
  ctx: CommandContext,
  deploymentId: number,
): Promise<{ state: string; description?: string } | undefined> {
  const { data } = await ctx.pr.github.request(
    'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
    { ...ctx.pr.repo, deployment_id: deploymentId, per_page: 1 },
  );
  return (data as { state: string; description?: string | null }[]).map((s) => ({
    state: s.state,
    ...(s.description ? { description: s.description } : {}),
  }))[0];
}
