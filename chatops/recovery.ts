/**
 * Nothing a restart loses. Every replica, every heartbeat interval, looks at the in-progress
 * deployments chat-ops recorded in a repository; one whose heartbeat is older than twice the
 * interval belonged to a process that died. It is marked failed, its status comment says the run
 * was interrupted and what the target runs now (read from API7 through the policy), and its lock
 * is released if it is still held for that request.
 */
import type { GitHubClient, Repo } from '../github/api.js';
import { setDeploymentStatus } from '../github/deployment.js';
import { EnvironmentLock } from '../github/lock.js';
import { requestCheckRun } from './check-runs.js';
import type { ChatopsSettings, CommandContext } from './context.js';
import { lockRequestId } from './lock-holder.js';
import { PullRequest } from './pull-request.js';
import { moveRequest, StaleRequest } from './requests.js';
import { whatRunsNow } from './standing.js';

interface Marker {
  repository?: string;
  pr?: number;
  request?: number;
  environment?: string;
}

export async function recoverStaleRuns(
  github: GitHubClient,
  repo: Repo,
  settings: ChatopsSettings,
): Promise<number[]> {
  const recovered: number[] = [];
  for (let page = 1; ; page++) {
    const { data } = await github.request('GET /repos/{owner}/{repo}/deployments', {
      ...repo,
      per_page: 100,
      page,
    });
    const deployments = data as { id: number; payload?: unknown }[];
    for (const d of deployments) {
      const marker =
        typeof d.payload === 'object' ? (d.payload as { api7Sync?: Marker })?.api7Sync : undefined;
      if (!marker?.pr || !marker.request || !marker.environment) continue;
      const { data: statuses } = await github.request(
        'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
        { ...repo, deployment_id: d.id, per_page: 1 },
      );
      const latest = (statuses as { state: string; created_at: string }[])[0];
      if (latest?.state !== 'in_progress') continue;
      if (settings.now() - Date.parse(latest.created_at) <= 2 * settings.heartbeatMs) continue;
      await recoverOne(github, repo, settings, d.id, marker as Required<Marker>);
      recovered.push(d.id);
    }
    if (deployments.length < 100) return recovered;
  }
}

async function recoverOne(
  github: GitHubClient,
  repo: Repo,
  settings: ChatopsSettings,
  deploymentId: number,
  marker: Required<Marker>,
): Promise<void> {
  await setDeploymentStatus(github, repo, { id: deploymentId }, 'failure', {
    description: 'interrupted: the process running it stopped',
  });
  const lock = new EnvironmentLock(github, repo, settings.now);
  const repository = `${repo.owner}/${repo.repo}`;
  const lockNote = (await lock.releaseIfHeldBy(
    marker.environment,
    lockRequestId(repository, marker.pr, marker.request),
  ))
    ? 'its environment lock is released'
    : 'its environment lock was no longer held for it and was left alone';
  const { data: repository_ } = await github.request('GET /repos/{owner}/{repo}', { ...repo });
  const ctx: CommandContext = {
    settings,
    pr: new PullRequest(github, repo, marker.pr),
    defaultBranch: String(repository_.default_branch ?? 'main'),
    commandId: marker.request,
    commenter: '',
    commentUrl: '',
  };
  const standing = await whatRunsNow(ctx, marker.environment);
  try {
    const state = await moveRequest(
      ctx,
      marker.request,
      'interrupted',
      `The run was interrupted: the process running it stopped (deployment #${deploymentId} is marked failed, ${lockNote}).\n\nWhat \`${marker.environment}\` runs now:\n\n${standing}\n\nCheck it, then ask again with \`/sync ${marker.environment}\` or \`/rollback\`.`,
    );
    await requestCheckRun(ctx, state)?.end('cancelled', 'interrupted: the process running it stopped');
  } catch (err) {
    if (!(err instanceof StaleRequest)) throw err;
    settings.log.warn(`recovery of deployment ${deploymentId}: ${err.message}`);
  }
  settings.log.warn(`recovered interrupted deployment ${deploymentId} of ${repository} (${lockNote})`);
}
