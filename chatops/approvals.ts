/**
 * Approvals are rebuilt from the comments at decision time, never remembered. The rules, each an
 * attack it stops:
 * - an approval is an unedited `/approve` comment by a human, posted after the request (and after
 *   its approvals last lapsed), compared by **comment ID**, never by timestamp (1 s resolution lets
 *   an approval share its request's second);
 * - `/approve N` counts only for request N; a bare `/approve` only for the newest request that was
 *   waiting when it was posted, so one comment never counts for two requests;
 * - never the requester nor the pull request's author; only listed approvers with write access;
 * - approvals expire after the environment's `approvalHours`.
 */
import { parseCommand } from './grammar.js';
import type { IssueComment } from './pull-request.js';
import type { RequestState } from './state.js';

export interface Candidate {
  login: string;
  commentId: number;
}

export type Ignored = { login: string; commentId: number; why: string };

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

/**
 * The `/approve` comments that may count for `state`, by comment rules alone (who the people are
 * is checked by the caller): one per login, the first that qualifies.
 */
export function approvalCandidates(
  state: RequestState,
  comments: IssueComment[],
  allRequests: RequestState[],
  context: { author: string; now: number; ttlMs: number; appLogin: string },
): { candidates: Candidate[]; ignored: Ignored[] } {
  const candidates: Candidate[] = [];
  const ignored: Ignored[] = [];
  const seen = new Set<string>();
  for (const c of comments) {
    const login = c.user?.login;
    if (!login || c.user?.type === 'Bot' || login === context.appLogin) continue;
    if (c.id <= state.approvalsAfter) continue;
    if (state.settledAfter !== undefined && c.id > state.settledAfter) continue;
    const parsed = parseCommand(c.body ?? '');
    if (!parsed?.ok || parsed.command.kind !== 'approve') continue;
    const meant = parsed.command.request
      ? Number(parsed.command.request)
      : bareApprovalTarget(c.id, allRequests);
    if (meant !== state.request) continue;
    const why =
      c.updated_at !== c.created_at
        ? 'the comment was edited'
        : login.toLowerCase() === state.requester.toLowerCase()
          ? 'the requester cannot approve their own request'
          : login.toLowerCase() === context.author.toLowerCase()
            ? "the pull request's author cannot approve it"
            : context.now - Date.parse(c.created_at) > context.ttlMs
              ? 'the approval has expired'
              : undefined;
    if (why) {
      ignored.push({ login, commentId: c.id, why });
      continue;
    }
    if (seen.has(login.toLowerCase())) continue;
    seen.add(login.toLowerCase());
    candidates.push({ login, commentId: c.id });
  }
  return { candidates, ignored };
}
