/**
 * Requests on a pull request, read from GitHub each time a decision is made. A state counts only
 * in a comment by the app's own account, signed, naming this repository and pull request, and only
 * in the oldest such comment for its request ID: a pasted or echoed copy counts for nothing.
 */
import type { CommandContext } from './context.js';
import { inert } from './inert.js';
import type { IssueComment } from './pull-request.js';
import {
  canMove,
  decodeState,
  encodeState,
  stateKey,
  type RequestState,
  type RequestStatus,
} from './state.js';

export interface TrackedRequest {
  /** The status comment that holds the state. */
  commentId: number;
  state: RequestState;
}

export interface PullRequestView {
  comments: IssueComment[];
  requests: Map<number, TrackedRequest>;
  /** Status comments that repeat a request already held by an older one (a racing replica's). */
  duplicates: TrackedRequest[];
  /** The greatest comment ID seen, a watermark that needs no clock. */
  latestCommentId: number;
}

export function isAppComment(ctx: CommandContext, c: IssueComment): boolean {
  return c.user?.login === ctx.settings.appLogin;
}

export async function readPullRequest(ctx: CommandContext): Promise<PullRequestView> {
  const key = stateKey(ctx.settings.stateSecret);
  const comments = await ctx.pr.comments();
  const requests = new Map<number, TrackedRequest>();
  const duplicates: TrackedRequest[] = [];
  for (const c of comments) {
    if (!isAppComment(ctx, c) || !c.body) continue;
    const state = decodeState(key, c.body);
    if (!state || state.pr !== ctx.pr.number) continue;
    if (state.repository.toLowerCase() !== ctx.pr.repository.toLowerCase()) continue;
    const tracked = { commentId: c.id, state };
    const held = requests.get(state.request);
    if (!held || c.id < held.commentId) {
      if (held) duplicates.push(held);
      requests.set(state.request, tracked);
    } else duplicates.push(tracked);
  }
  return {
    comments,
    requests,
    duplicates,
    latestCommentId: comments.reduce((max, c) => Math.max(max, c.id), 0),
  };
}

/** The status comment's text: a first line people and scripts can rely on, the body, the state. */
export function statusBody(ctx: CommandContext, state: RequestState, body: string): string {
  const what =
    state.kind === 'rollback'
      ? `\`/rollback ${state.environment}\``
      : `\`/sync ${state.environment}\` from \`${state.from}\``;
  const approve = state.status === 'pending' ? ` · reply \`/approve ${state.request}\`` : '';
  const title = `**api7-sync** · request ${state.request} by @${state.requester} · **${state.status}** · ${what}${approve}`;
  const glass = state.breakGlass
    ? `\n\n🔨 **Break glass** (promotion window overridden): ${inert(state.breakGlass)}`
    : '';
  const gate = ctx.settings.approvalNote ? `\n\n${ctx.settings.approvalNote}` : '';
  return `${title}\n\n${body}${glass}${gate}\n${encodeState(stateKey(ctx.settings.stateSecret), state)}`;
}

export class StaleRequest extends Error {}

/**
 * Moves a request forward: re-reads its state from GitHub first, so that a replica or a restart
 * that acted in between wins, and never writes a move backwards.
 */
export async function moveRequest(
  ctx: CommandContext,
  request: number,
  to: RequestStatus,
  body: string,
  changes: Partial<RequestState> = {},
): Promise<RequestState> {
  const current = (await readPullRequest(ctx)).requests.get(request);
  if (!current) throw new StaleRequest(`request ${request} has no status comment`);
  if (!canMove(current.state.status, to))
    throw new StaleRequest(`request ${request} is ${current.state.status}; it cannot become ${to}`);
  const next: RequestState = { ...current.state, ...changes, status: to };
  await ctx.pr.updateComment(current.commentId, statusBody(ctx, next, body));
  return next;
}

/**
 * Posts a request's first status comment. Two replicas handling one delivery may both post: the
 * oldest comment holds the request, and a younger copy removes itself.
 */
export async function postStatus(ctx: CommandContext, state: RequestState, body: string): Promise<boolean> {
  const id = await ctx.pr.comment(statusBody(ctx, state, body));
  const holder = (await readPullRequest(ctx)).requests.get(state.request);
  if (holder && holder.commentId !== id) {
    await ctx.pr.deleteComment(id);
    return false;
  }
  return true;
}
