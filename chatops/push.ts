/**
 * A push to the pull request. Readers look for a request's state on the pull request's head, so
 * each waiting request is carried to a check run on the new head; approvals are bound to the head
 * they saw, so they lapse on the way.
 */
import type { CommandContext } from './context.js';
import { carryRequest, readRequests, renderRequest, StaleRequest } from './requests.js';
import { isWaiting } from './state.js';

/** Carries the waiting requests from `before` to `after`; returns those whose approvals lapsed. */
export async function lapseOnPush(ctx: CommandContext, before: string, after: string): Promise<number[]> {
  if (!before || before === after) return [];
  const lapsed: number[] = [];
  for (const tracked of (await readRequests(ctx, before)).values()) {
    const { state } = tracked;
    if (!isWaiting(state.status)) continue;
    const lapses = state.approvalsNeeded > 0;
    try {
      const carried = await carryRequest(
        ctx,
        tracked,
        after,
        lapses ? { status: 'pending', approvals: [], settledAfter: undefined } : {},
        { status: 'queued' },
      );
      if (!lapses) continue;
      await renderRequest(
        ctx,
        carried,
        `Approvals have lapsed: new commits were pushed (${before.slice(0, 7)} → ${after.slice(0, 7)}). Approvers, check again and reply \`/approve ${state.request}\`.`,
      );
      await ctx.pr.react(state.request, 'confused');
      lapsed.push(state.request);
    } catch (err) {
      if (!(err instanceof StaleRequest)) throw err;
    }
  }
  return lapsed;
}
