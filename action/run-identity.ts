/** Who this run is, for the lock and the deployment: the same for a promotion and a fan-out. */
import * as github from '@actions/github';
import { SyncError } from '../engine/index.js';
import type { Inputs } from './io.js';

/** The token the lock and the deployment record need, or a clear error when it is empty. */
export function githubTokenFor(inputs: Inputs): string {
  if (!inputs.githubToken)
    throw new SyncError(
      'usage',
      'input github-token is empty; keep its default (${{ github.token }}) or set lock: false and record-deployment: false',
    );
  return inputs.githubToken;
}

/** The id a lock is held for: this run's attempt, so the post step frees only its own. */
export function runLockRequest(): string {
  const { runId, runAttempt, repo } = github.context;
  return `${repo.owner}/${repo.repo} run ${runId} attempt ${runAttempt}`;
}
