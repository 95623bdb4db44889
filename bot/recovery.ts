/**
 * Nothing a restart loses: at start-up, deployments this bot left `in_progress` whose heartbeat
 * has stopped (older than twice the interval) are marked failed, with a comment on their pull
 * request. Their locks expire by TTL and can then be taken over.
 */
import type { GitHubRequest, Repo } from '../github/api.js';
import { setDeploymentStatus } from '../github/deployment.js';

export async function recoverStaleDeployments(
  github: GitHubRequest,
  repo: Repo,
  heartbeatMs: number,
  now = Date.now(),
): Promise<number[]> {
  const { data: deployments } = await github.request('GET /repos/{owner}/{repo}/deployments', {
    ...repo,
    per_page: 50,
  });
  const recovered: number[] = [];
  for (const d of deployments as {
    id: number;
    payload?: { api7Sync?: { pr?: number; request?: number } };
  }[]) {
    const marker = typeof d.payload === 'object' ? d.payload?.api7Sync : undefined;
    if (!marker) continue;
    const { data: statuses } = await github.request(
      'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
      { ...repo, deployment_id: d.id, per_page: 1 },
    );
    const latest = (statuses as { state: string; created_at: string }[])[0];
    if (latest?.state !== 'in_progress' || now - Date.parse(latest.created_at) <= 2 * heartbeatMs) continue;
    await setDeploymentStatus(github, repo, { id: d.id }, 'failure', {
      description: 'stale: api7-sync restarted while this ran',
    });
    if (marker.pr) {
      await github.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        ...repo,
        issue_number: marker.pr,
        body: `**api7-sync** restarted while request ${marker.request ?? ''} was running; its deployment #${d.id} is marked failed. Check the environment with \`/status\` and ask again with \`/sync\`; the environment lock expires on its own.`,
      });
    }
    recovered.push(d.id);
  }
  return recovered;
}
