/**
 * The post step (`post-if: always()`): when the main step was cancelled before it could end its
 * promotion session, release the lock it held for this run and mark its deployment failed.
 */
import * as core from '@actions/core';
import * as github from '@actions/github';
import { gitHubClient } from '../github/client.js';
import { endAbandonedSession } from '../github/abandoned-session.js';
import { SyncError } from '../engine/index.js';
import { STATE } from './io.js';
import { actionLog } from './log.js';
import { present } from './present.js';
import { isChatopsEvent, recoverAfterCancel } from './workflow-mode.js';

export async function post(): Promise<void> {
  try {
    await endAbandoned();
  } catch (err) {
    // The lock or the deployment may be left behind: fail the step saying why, never a stack.
    present(err, 'post');
  }
}

async function endAbandoned(): Promise<void> {
  if (core.getState(STATE.finished) === 'true') return;
  const token = core.getInput('github-token');
  if (token) core.setSecret(token);
  const request = core.getState(STATE.lockRequest);
  const fanout = core.getState(STATE.fanoutSessions);
  if (fanout) {
    await endFanout(token, request, fanout);
    // A chat-ops request the run left `running` says `interrupted` now, not at the next command.
    if (isChatopsEvent()) await recoverAfterCancel();
    return;
  }
  const environment = core.getState(STATE.lockEnvironment);
  const deploymentId = Number(core.getState(STATE.deploymentId)) || undefined;
  if (!token || (!request && !deploymentId)) return;
  // Whatever could not be undone is logged as an error annotation by endAbandonedSession.
  await endAbandonedSession({
    github: gitHubClient(token, actionLog),
    repo: github.context.repo,
    environment,
    ...(environment && request ? { request } : {}),
    deploymentId,
    outcome: { state: 'failure', description: 'the promotion was cancelled' },
    log: actionLog,
  });
}

/** Every session a cancelled promotion started, one by one (action/promote.ts saved them). */
async function endFanout(token: string, request: string, saved: string): Promise<void> {
  if (!token) return;
  const sessions = savedSessions(saved);
  const what = sessions.length > 1 ? 'the fan-out' : 'the promotion';
  for (const { environment, deploymentId } of sessions) {
    await endAbandonedSession({
      github: gitHubClient(token, actionLog),
      repo: github.context.repo,
      environment,
      ...(request ? { request } : {}),
      deploymentId,
      outcome: { state: 'failure', description: `${what} was cancelled` },
      log: actionLog,
    });
  }
}

/** The sessions as the main step saved them; anything else is not ours to act on. */
function savedSessions(saved: string): { environment: string; deploymentId?: number }[] {
  let sessions: unknown;
  try {
    sessions = JSON.parse(saved);
  } catch {
    sessions = undefined; // said below, with what to do
  }
  const valid =
    Array.isArray(sessions) &&
    sessions.every((s) => typeof (s as { environment?: unknown } | null)?.environment === 'string');
  if (!valid)
    throw new SyncError(
      'internal',
      'the promotion sessions the main step saved for this step cannot be read, so no lock was released and no deployment closed: the locks expire on their own after three heartbeats (or delete their api7-sync-lock/<environment> branches), and the deployments stay in progress until the next promotion',
    );
  return sessions as { environment: string; deploymentId?: number }[];
}
