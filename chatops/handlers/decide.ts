/** `/approve [request]` and `/deny [request]`: decided again from the comments each time. */
import { approvalCandidates, bareApprovalTarget, type Ignored } from '../approvals.js';
import { requestCheckRun } from '../check-runs.js';
import type { CommandContext } from '../context.js';
import type { Command } from '../grammar.js';
import { peopleFor, requireWrite } from '../guards.js';
import { moveRequest, readPullRequest, type PullRequestView } from '../requests.js';
import { Refusal } from '../refusal.js';
import { loadRepositoryConfig } from '../repository-config.js';
import { runRequest } from '../run.js';
import { isWaiting, targetsOf, type RequestState } from '../state.js';

type Decide = Extract<Command, { kind: 'approve' | 'deny' }>;

export async function decideCommand(ctx: CommandContext, command: Decide): Promise<void> {
  await requireWrite(ctx);
  const view = await readPullRequest(ctx);
  const states = [...view.requests.values()].map((r) => r.state);
  const id = command.request ? Number(command.request) : bareApprovalTarget(ctx.commandId, states);
  const state = id === undefined ? undefined : view.requests.get(id)?.state;
  // A redelivery (or a second replica) of a decision that was already taken into account.
  if (
    state &&
    !isWaiting(state.status) &&
    state.settledAfter !== undefined &&
    ctx.commandId <= state.settledAfter
  ) {
    ctx.settings.log.info(`comment ${ctx.commandId} was already counted for request ${state.request}`);
    return;
  }
  if (!state || !isWaiting(state.status) || state.approvalsNeeded === 0)
    throw new Refusal(
      command.request
        ? `there is no request ${command.request} waiting for a decision on this pull request`
        : 'there is no request waiting for a decision on this pull request; name one: `/approve N`',
      'approval-missing',
    );
  const config = await loadRepositoryConfig(ctx);
  const envs = targetsOf(state).map((t) => config.environments[t]);
  // An approval counts for a fan-out only from someone who may approve every target.
  const approverLists = envs.map((e) => e?.protection?.approvers ?? []);
  const approvers = [...new Set(approverLists.flat())];
  const isApprover = async (login: string) => {
    for (const list of approverLists) if (!(await ctx.pr.isAny(login, list))) return false;
    return true;
  };
  const where = targetsOf(state)
    .map((t) => `\`${t}\``)
    .join(', ');
  if (command.kind === 'deny') {
    const role = state.kind === 'rollback' ? 'rollbackers' : 'deployers';
    const deployers = envs.flatMap((e) => (e ? peopleFor(e, role) : []));
    const may =
      ctx.commenter.toLowerCase() === state.requester.toLowerCase() ||
      (await ctx.pr.isAny(ctx.commenter, [...approvers, ...deployers]));
    if (!may) throw new Refusal(`you are neither the requester nor an approver or deployer of ${where}`);
    await moveRequest(ctx, state.request, 'denied', `Denied by @${ctx.commenter}. Nothing was changed.`, {
      settledAfter: view.latestCommentId,
    });
    await ctx.pr.react(ctx.commandId, '+1');
    await requestCheckRun(ctx, state)?.end('denied', `denied by @${ctx.commenter}`);
    return;
  }
  const facts = await ctx.pr.facts();
  // Say at once why this comment does not count; the tally below never counts it either.
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
  if (!(await isApprover(ctx.commenter)))
    throw new Refusal(
      `you are not among the approvers of ${where} (${approvers.join(', ') || 'none set'}); your approval is not counted`,
      'approval-missing',
    );
  if (facts.headSha !== state.headSha) {
    await moveRequest(
      ctx,
      state.request,
      'pending',
      `Approvals have lapsed: new commits were pushed (${state.headSha.slice(0, 7)} → ${facts.headSha.slice(0, 7)}). Approvers, check again and reply \`/approve ${state.request}\`.`,
      { headSha: facts.headSha, approvalsAfter: view.latestCommentId, settledAfter: undefined },
    );
    return;
  }
  const hours = Math.min(...envs.map((e) => e?.protection?.approvalHours ?? Infinity));
  const ttlMs = Number.isFinite(hours) ? hours * 3_600_000 : ctx.settings.approvalTtlMs;
  const { counted: approvedBy, ignored } = await tally(
    ctx,
    state,
    view,
    states,
    facts.author,
    ttlMs,
    isApprover,
  );
  if (approvedBy.length < state.approvalsNeeded) {
    const notCounted = ignored.length
      ? ` · not counted: ${ignored.map((i) => `${i.login} (${i.why})`).join(', ')}`
      : '';
    await moveRequest(
      ctx,
      state.request,
      'pending',
      `**Approvals:** ${approvedBy.length} of ${state.approvalsNeeded} (${approvedBy.map((l) => `@${l}`).join(', ') || 'none yet'})${notCounted} · reply \`/approve ${state.request}\``,
    );
    return;
  }
  await moveRequest(
    ctx,
    state.request,
    'approved',
    `Approved by ${approvedBy.map((l) => `@${l}`).join(', ')}. Starting…`,
    {
      settledAfter: view.latestCommentId,
    },
  );
  await runRequest(ctx, state.request);
}

/** Distinct approvers, each with write access now, whose comments count for this request. */
async function tally(
  ctx: CommandContext,
  state: RequestState,
  view: PullRequestView,
  states: RequestState[],
  author: string,
  ttlMs: number,
  isApprover: (login: string) => Promise<boolean>,
): Promise<{ counted: string[]; ignored: Ignored[] }> {
  const { candidates, ignored } = approvalCandidates(state, view.comments, states, {
    author,
    now: ctx.settings.now(),
    ttlMs,
    appLogin: ctx.settings.appLogin,
  });
  const counted: string[] = [];
  for (const c of candidates)
    if ((await isApprover(c.login)) && (await ctx.pr.canWrite(c.login))) counted.push(c.login);
  return { counted, ignored };
}
