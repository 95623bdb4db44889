/**
 * The post step (`post-if: always()`): when the main step was cancelled before it could clean up,
 * release its lock and mark its deployment failed.
 */
import * as core from '@actions/core';
import * as github from '@actions/github';
import { setDeploymentStatus } from '../github/deployment.js';
import { EnvironmentLock } from '../github/lock.js';
import { STATE } from './io.js';

export async function post(): Promise<void> {
  if (core.getState(STATE.finished) === 'true') return;
  const token = core.getInput('github-token');
  if (token) core.setSecret(token);
  const environment = core.getState(STATE.lockEnvironment);
  const sha = core.getState(STATE.lockSha);
  const deploymentId = Number(core.getState(STATE.deploymentId));
  if (!token || (!sha && !deploymentId)) return;
  const octokit = github.getOctokit(token);
  const repo = github.context.repo;
  try {
    if (deploymentId) {
      await setDeploymentStatus(octokit, repo, { id: deploymentId }, 'failure', {
        description: 'the promotion was cancelled',
      });
    }
    if (environment && sha) {
      const released = await new EnvironmentLock(octokit, repo).release(environment, sha);
      core.info(
        released
          ? `released the lock on "${environment}"`
          : `the lock on "${environment}" was no longer ours`,
      );
    }
  } catch (err) {
    core.warning(`cleaning up after a cancelled promotion failed: ${(err as Error).message}`);
  }
}
