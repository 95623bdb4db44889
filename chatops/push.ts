/** A push to the pull request: approvals are bound to the head they saw, so waiting requests lapse. */
import type { CommandContext } from './context.js';
import { moveRequest, readPullRequest, StaleRequest } from './requests.js';
import { isWaiting } from './state.js';

export async function lapseOnPush(ctx: CommandContext, headSha: string): Promise<number[]> {
  const view = await readPullRequest(ctx);
  const lapsed: number[] = [];
  for (const { state } of view.requests.values()) {
    if (!isWaiting(state.status) || state.approvalsNeeded === 0 || state.headSha === headSha) continue;
    try {
      await moveRequest(
        ctx,
        state.request,
        'pending',
        `Approvals have lapsed: new commits were pushed (${state.headSha.slice(0, 7)} → ${headSha.slice(0, 7)}). Approvers, check again and reply \`/approve ${state.request}\`.`,
        { headSha, approvalsAfter: view.latestCommentId, settledAfter: undefined },
      );
      lapsed.push(state.request);
    } catch (err) {
      if (!(err instanceof StaleRequest)) throw err;
    }
  }
  return lapsed;
}
