/**
 * The end of a promotion session whose own process could not end it: the Action's post step
 * after a cancelled main step. Only what can be matched to that session is touched: the lock
 * while it is still held for the session's request id, and the deployment it recorded.
 */
import type { GitHubClient, Repo } from './api.js';
import { setDeploymentStatus } from './deployment.js';
import { EnvironmentLock } from './lock.js';
import type { Logger } from '../engine/index.js';
import type { SessionEnd, SessionOutcome } from './session.js';
import { messageOf } from '../engine/index.js';

/**
 * Ends what a session left behind when its own process could not: the Action's post step after
 * a cancelled main step. Releases the lock only while it is held for `request`, and closes the
 * deployment with `outcome`. Never throws.
 */
export async function endAbandonedSession(options: {
  github: GitHubClient;
  repo: Repo;
  environment: string;
  request?: string;
  deploymentId?: number;
  outcome: SessionOutcome;
  log: Logger;
}): Promise<SessionEnd> {
  const { environment, log } = options;
  const problems: string[] = [];
  let deploymentClosed = true;
  let lockReleased = true;
  if (options.deploymentId) {
    try {
      await setDeploymentStatus(
        options.github,
        options.repo,
        { id: options.deploymentId },
        options.outcome.state,
        options.outcome,
      );
    } catch (err) {
      deploymentClosed = false;
      problems.push(
        `deployment #${options.deploymentId} of "${environment}" was not closed and still says in_progress: ${messageOf(err)}`,
      );
    }
  }
  if (options.request) {
    try {
      const lock = new EnvironmentLock(options.github, options.repo);
      if (await lock.releaseIfHeldBy(environment, options.request))
        log.info(`released the lock on "${environment}"`);
      else log.info(`the lock on "${environment}" was not held for ${options.request}: nothing to release`);
    } catch (err) {
      lockReleased = false;
      problems.push(
        `the lock on "${environment}" may still be held for ${options.request} until its TTL: releasing it failed: ${messageOf(err)}`,
      );
    }
  }
  for (const p of problems) log.error(p);
  return { lockReleased, deploymentClosed, problems };
}
