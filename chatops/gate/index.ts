/**
 * The App as a custom deployment protection rule (`deployment_protection_rule`, requested): judge
 * the deployment and answer through the event's callback, approved only when every rule passed.
 * Whatever goes wrong on the way ends in a rejection that says why, never in silence or in an
 * approval by default; an answer that cannot be sent is logged (GitHub keeps waiting, and the
 * job's reviewers can still reject or bypass it by hand).
 */
import type { Logger } from '../../engine/index.js';
import { readGateEvent, UnanswerableEvent } from './event.js';
import { gateComment } from './comment.js';
import { describeFailure, logLine } from '../failure.js';
import { judge, type GateDeps } from './judge.js';
import { sendReview } from './review.js';
import { isApproved, unknown, type Verdict } from './verdict.js';

export async function answerDeploymentGate(payload: unknown, deps: GateDeps, log: Logger): Promise<void> {
  let event;
  try {
    event = readGateEvent(payload);
  } catch (err) {
    if (!(err instanceof UnanswerableEvent)) throw err;
    log.warn(`api7-sync deployment gate: cannot answer this event: ${err.message}`);
    return;
  }
  let verdict: Verdict;
  try {
    verdict = await judge(event, deps);
  } catch (err) {
    log.error(`api7-sync deployment gate: ${event.repository} ${event.githubEnvironment}: ${logLine(err)}`);
    verdict = {
      githubEnvironment: event.githubEnvironment,
      rules: [unknown('config', `the gate could not read what it needs: ${describeFailure(err)}`)],
    };
  }
  const state = isApproved(verdict) ? 'approved' : 'rejected';
  try {
    await sendReview(deps.github, event, state, gateComment(verdict));
  } catch (err) {
    log.error(
      `api7-sync deployment gate: the ${state} answer for run ${event.runId} of ${event.repository} could not be sent: ${logLine(err)}`,
    );
    return;
  }
  log.info(
    `api7-sync deployment gate: ${state} run ${event.runId} of ${event.repository} (${event.githubEnvironment})`,
  );
}
