/**
 * `/approve [request]` and `/deny [request]`: recorded in the request's state as the comment
 * arrives (the caller has taken the comment, so each acts once), never rebuilt from comments.
 */
import type { EnvironmentConfig } from '../../engine/index.js';
import { endedFields } from '../../github/check-run.js';
import { bareApprovalTarget, standingApprovals, whyNotCounted } from '../approvals.js';
import type { CommandContext } from '../context.js';
import type { Command } from '../grammar.js';
import { peopleFor } from '../guards.js';
import { moveRequest, readRequests, type TrackedRequest } from '../requests.js';
import { Refusal } from '../refusal.js';
import { loadRepositoryConfig } from '../repository-config.js';
import { runRequest } from '../run.js';
import { lapse } from '../run-steps.js';
import { isWaiting, targetsOf, type Approval } from '../state.js';

type Decide = Extract<Command, { kind: 'approve' | 'deny' }>;

/** What a decision on one request is weighed against: its targets' people, and the comments it counted. */
interface Decision {
  tracked: TrackedRequest;
  envs: (EnvironmentConfig | undefined)[];
  /** One approver list per target: an approval counts only from someone on every list. */
  approverLists: string[][];
  approvers: string[];
  /** The targets, for messages: `eu`, `us`. */
  where: string;
  handled: number[];
}

export async function decideCommand(ctx: CommandContext, command: Decide): Promise<void> {
  const requests = await readRequests(ctx);
  const states = [...requests.values()].map((r) => r.state);
  const id = command.request ? Number(command.request) : bareApprovalTarget(ctx.commandId, states);
  const tracked = id === undefined ? undefined : requests.get(id);
  if (tracked?.state.handled.includes(ctx.commandId)) {
    ctx.settings.log.info(
      `comment ${ctx.commandId} was already counted for request ${tracked.state.request}`,
    );
    return;
  }
  if (!tracked || !isWaiting(tracked.state.status) || tracked.state.approvalsNeeded === 0)
    throw new Refusal(
      command.request
        ? `there is no request ${command.request} waiting for a decision on this pull request`
        : 'there is no request waiting for a decision on this pull request; name one: `/approve N`',
      'approval-missing',
    );
  const { state } = tracked;
  const config = await loadRepositoryConfig(ctx);
  const envs = targetsOf(state).map((t) => config.environments[t]);
  // An approval counts for a fan-out only from someone who may approve every target.
  const approverLists = envs.map((e) => e?.protection?.approvers ?? []);
  const decision: Decision = {
    tracked,
    envs,
    approverLists,
    approvers: [...new Set(approverLists.flat())],
    where: targetsOf(state)
      .map((t) => `\`${t}\``)
      .join(', '),
    handled: [...state.handled, ctx.commandId],
  };
  if (command.kind === 'deny') await deny(ctx, decision);
  else await approve(ctx, decision);
}

/** A denial ends the request; only its requester, an approver or a deployer may deny it. */
async function deny(
  ctx: CommandContext,
  { tracked, envs, approvers, where, handled }: Decision,
): Promise<void> {
  const { state } = tracked;
  const role = state.kind === 'rollback' ? 'rollbackers' : 'deployers';
  const deployers = envs.flatMap((e) => (e ? peopleFor(e, role) : []));
  const may =
    ctx.commenter.toLowerCase() === state.requester.toLowerCase() ||
    (await ctx.pr.isAny(ctx.commenter, [...approvers, ...deployers]));
  if (!may) throw new Refusal(`you are neither the requester nor an approver or deployer of ${where}`);
  await moveRequest(
    ctx,
    tracked,
    'denied',
    `Denied by @${ctx.commenter}. Nothing was changed.`,
    { settledAfter: ctx.commandId, handled },
    endedFields('denied', `denied by @${ctx.commenter}`),
  );
  await ctx.pr.react(ctx.commandId, '+1');
}

/** An approval counts only from an approver of every target who neither asked nor wrote the change. */
async function approve(ctx: CommandContext, decision: Decision): Promise<void> {
  const { tracked, envs, approverLists, approvers, where, handled } = decision;
  const { state } = tracked;
  const facts = await ctx.pr.facts();
  const hours = Math.min(...envs.map((e) => e?.protection?.approvalHours ?? Infinity));
  const ttlMs = Number.isFinite(hours) ? hours * 3_600_000 : ctx.settings.approvalTtlMs;
  const now = ctx.settings.now();
  const approval: Approval = {
    login: ctx.commenter,
    commentId: ctx.commandId,
    at: ctx.commentCreatedAt ?? new Date(now).toISOString(),
  };
  // Say at once why this comment does not count; it is never counted later either.
  if (ctx.commenter.toLowerCase() === state.requester.toLowerCase())
    throw new Refusal(
      `you asked for request ${state.request}: someone else among the approvers must approve it`,
      'approval-missing',
    );
  if (ctx.commenter.toLowerCase() === facts.author.toLowerCase())
    throw new Refusal(
      `you opened this pull request: your approval of request ${state.request} does not count`,
      'approval-missing',
    );
  const why = whyNotCounted(state, approval, { author: facts.author, now, ttlMs });
  if (why)
    throw new Refusal(`your approval of request ${state.request} does not count: ${why}`, 'approval-missing');
  let isApprover = true;
  for (const list of approverLists) if (!(await ctx.pr.isAny(ctx.commenter, list))) isApprover = false;
  if (!isApprover)
    throw new Refusal(
      `you are not among the approvers of ${where} (${approvers.join(', ') || 'none set'}); your approval is not counted`,
      'approval-missing',
    );
  if (facts.headSha !== state.headSha) {
    const why = `new commits were pushed (${state.headSha.slice(0, 7)} → ${facts.headSha.slice(0, 7)})`;
    await lapse(ctx, { tracked }, why, { headSha: facts.headSha, handled });
    return;
  }
  await record(ctx, tracked, [...state.approvals, approval], handled, now, ttlMs);
}

/** Records the approval; runs the request when it has all it needs. */
async function record(
  ctx: CommandContext,
  tracked: TrackedRequest,
  approvals: Approval[],
  handled: number[],
  now: number,
  ttlMs: number,
): Promise<void> {
  const { state } = tracked;
  const standing = standingApprovals({ ...state, approvals }, now, ttlMs);
  const expired = approvals.filter((a) => !standing.includes(a) && now - Date.parse(a.at) > ttlMs);
  const names = standing.map((a) => `@${a.login}`).join(', ');
  if (standing.length < state.approvalsNeeded) {
    const notCounted = expired.length
      ? ` · not counted: ${expired.map((a) => `${a.login} (the approval has expired)`).join(', ')}`
      : '';
    await moveRequest(
      ctx,
      tracked,
      'pending',
      `**Approvals:** ${standing.length} of ${state.approvalsNeeded} (${names || 'none yet'})${notCounted} · reply \`/approve ${state.request}\``,
      { approvals: standing, handled },
    );
    return;
  }
  const approved = await moveRequest(ctx, tracked, 'approved', `Approved by ${names}. Starting…`, {
    approvals: standing,
    handled,
    settledAfter: ctx.commandId,
  });
  await runRequest(ctx, approved);
}
