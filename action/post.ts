/**
 * The post step (`post-if: always()`): when the main step was cancelled before it could end its
 * promotion session, release the lock it held for this run and mark its deployment failed.
 */
import * as core from '@actions/core';
import * as github from '@actions/github';
import { gitHubClient } from '../github/client.js';
import { endAbandonedSession } from '../github/abandoned-session.js';
import { STATE } from './io.js';

export async function post(): Promise<void> {
  if (core.getState(STATE.finished) === 'true') return;
  const token = core.getInput('github-token');
  if (token) core.setSecret(token);
  const request = core.getState(STATE.lockRequest);
  const fanout = core.getState(STATE.fanoutSessions);
  if (fanout) return endFanout(token, request, fanout);
  const environment = core.getState(STATE.lockEnvironment);
  const deploymentId = Number(core.getState(STATE.deploymentId)) || undefined;
  if (!token || (!request && !deploymentId)) return;
  // Whatever could not be undone is logged as an error annotation by endAbandonedSession.
  await endAbandonedSession({
    github: gitHubClient(token, { warn: (m) => core.warning(m) }),
    repo: github.context.repo,
    environment,
    ...(environment && request ? { request } : {}),
    deploymentId,
    outcome: { state: 'failure', description: 'the promotion was cancelled' },
    log: { info: (m) => core.info(m), warn: (m) => core.warning(m), error: (m) => core.error(m) },
  });
}

/** Every session a cancelled promotion started, one by one (action/promote.ts saved them). */
async function endFanout(token: string, request: string, saved: string): Promise<void> {
  if (!token) return;
  const sessions = JSON.parse(saved) as { environment: string; deploymentId?: number }[];
  const what = sessions.length > 1 ? 'the fan-out' : 'the promotion';
  for (const { environment, deploymentId } of sessions) {
    await endAbandonedSession({
      github: gitHubClient(token, { warn: (m) => core.warning(m) }),
      repo: github.context.repo,
      environment,
      ...(request ? { request } : {}),
      deploymentId,
      outcome: { state: 'failure', description: `${what} was cancelled` },
      log: { info: (m) => core.info(m), warn: (m) => core.warning(m), error: (m) => core.error(m) },
    });
  }
}
