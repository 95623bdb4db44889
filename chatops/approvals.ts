/**
 * Approvals are recorded in the request's state when their `/approve` comment arrives, and never
 * rebuilt from comment text later: editing, deleting or re-posting comments changes nothing. The
 * rules, each an attack it stops:
 * - an approval comes from a comment made after the request (and after its approvals last lapsed),
 *   compared by **comment ID**, never by timestamp (1 s resolution lets an approval share its
 *   request's second);
 * - `/approve N` counts only for request N; a bare `/approve` only for the newest request that was
 *   waiting when it was posted, so one comment never counts for two requests;
 * - never the requester nor the pull request's author; only listed approvers with write access
 *   (checked by the caller when the approval arrives);
 * - approvals expire after the environment's `approvalHours`, counted from the comment.
 */
import type { Approval, RequestState } from './state.js';

/** The request a bare `/approve` with this comment ID is meant for, if any. */
export function bareApprovalTarget(commentId: number, requests: RequestState[]): number | undefined {
  let target: RequestState | undefined;
  for (const r of requests) {
    if (r.approvalsNeeded === 0 || r.request >= commentId) continue;
    if (r.settledAfter !== undefined && commentId > r.settledAfter) continue;
    if (!target || r.request > target.request) target = r;
  }
  return target?.request;
}

/** Why an arriving approval does not count for `state`; undefined when it does. */
export function whyNotCounted(
  state: RequestState,
  approval: Approval,
  context: { author: string; now: number; ttlMs: number },
): string | undefined {
  const login = approval.login.toLowerCase();
  if (approval.commentId <= state.approvalsAfter)
    return 'the comment is older than the request or than its last lapse';
  if (login === state.requester.toLowerCase()) return 'the requester cannot approve their own request';
  if (login === context.author.toLowerCase()) return "the pull request's author cannot approve it";
  if (context.now - Date.parse(approval.at) > context.ttlMs) return 'the approval has expired';
  return undefined;
}

/** The approvals that stand now: not expired, one per person, the first each gave. */
export function standingApprovals(state: RequestState, now: number, ttlMs: number): Approval[] {
  const seen = new Set<string>();
  return state.approvals.filter((a) => {
    const login = a.login.toLowerCase();
    if (seen.has(login) || now - Date.parse(a.at) > ttlMs) return false;
    seen.add(login);
    return true;
  });
}
