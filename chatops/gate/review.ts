/**
 * The gate's answer: GitHub's "review custom deployment protection rules for a workflow run"
 * (`POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule`), the route the
 * event's `deployment_callback_url` names.
 */
import type { GitHubClient } from '../../github/api.js';
import type { GateEvent } from './event.js';

export async function sendReview(
  github: GitHubClient,
  event: GateEvent,
  state: 'approved' | 'rejected',
  comment: string,
): Promise<void> {
  await github.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule', {
    ...event.repo,
    run_id: event.runId,
    environment_name: event.githubEnvironment,
    state,
    comment,
  });
}
