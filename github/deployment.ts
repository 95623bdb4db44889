/**
 * The low-level deployment calls of a promotion session (session.ts), which alone decides when
 * they are made. A GitHub Deployment per promotion, with `in_progress` → `success`/`failure` statuses.
 * Created with `auto_merge: false` and `required_contexts: []`: the promotion moves a version
 * that is already running elsewhere, not the ref being deployed.
 */
import { SyncError } from '../engine/index.js';
import type { GitHubClient, Repo } from './api.js';

export interface DeploymentRecord {
  id: number;
}

/** What GitHub needs to create a deployment. */
export interface NewDeployment {
  ref: string;
  environment: string;
  description: string;
  payload: Record<string, unknown>;
  production: boolean;
}

export async function createDeployment(
  github: GitHubClient,
  repo: Repo,
  req: NewDeployment,
): Promise<DeploymentRecord> {
  const { data } = await github.request('POST /repos/{owner}/{repo}/deployments', {
    ...repo,
    ref: req.ref,
    environment: req.environment,
    description: req.description.slice(0, 140),
    payload: req.payload,
    auto_merge: false,
    required_contexts: [],
    production_environment: req.production,
    transient_environment: false,
  });
  // 202 means GitHub merged the default branch first instead; auto_merge: false rules that out.
  if (!('id' in data))
    throw new SyncError(
      'internal',
      `GitHub did not create the deployment: ${data.message ?? 'no id in its answer'}`,
    );
  return { id: Number(data.id) };
}

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

export async function setDeploymentStatus(
  github: GitHubClient,
  repo: Repo,
  deployment: DeploymentRecord,
  state: DeploymentState,
  details: { description: string; environmentUrl?: string; logUrl?: string },
): Promise<void> {
  await github.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
    ...repo,
    deployment_id: deployment.id,
    state,
    description: details.description.slice(0, 140),
    ...(details.environmentUrl ? { environment_url: details.environmentUrl } : {}),
    ...(details.logUrl ? { log_url: details.logUrl } : {}),
    auto_inactive: state === 'success',
  });
}
