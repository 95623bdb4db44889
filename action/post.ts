/**
 * The post step (`post-if: always()`): when the main step was cancelled before it could end its
 * promotion session, release the lock it held for this run and mark its deployment failed.
 */
import * as core from '@actions/core';
import * as github from '@actions/github';
import { endAbandonedSession } from '../github/abandoned-session.js';
import { STATE } from './io.js';

export async function post(): Promise<void> {
  if (core.getState(STATE.finished) === 'true') return;
  const token = core.getInput('github-token');
  if (token) core.setSecret(token);
  const environment = core.getState(STATE.lockEnvironment);
  const request = core.getState(STATE.lockRequest);
  const deploymentId = Number(core.getState(STATE.deploymentId)) || undefined;
  if (!token || (!request && !deploymentId)) return;
  // Whatever could not be undone is logged as an error annotation by endAbandonedSession.
  await endAbandonedSession({
    github: github.getOctokit(token),
    repo: github.context.repo,
    environment,
    ...(environment && request ? { request } : {}),
    deploymentId,
    outcome: { state: 'failure', description: 'the promotion was cancelled' },
    log: { info: (m) => core.info(m), warn: (m) => core.warning(m), error: (m) => core.error(m) },
  });
}
