/**
 * Where a request's state lives: in the app's own Check Run for it (`api7-sync / <env>`,
 * `external_id` = the request ID, the signed state as the last line of the output text). People
 * with write access can edit or delete any comment, the app's too, but cannot create or edit a
 * check run, and no app can touch another app's. So a state counts only in a check run the app
 * itself made (its `app`, which GitHub sets), signed with the app's key, naming this repository,
 * pull request and request, on the head SHA it names. The status comment only renders the state:
 * it is never read back, and an edited or deleted one is written again from the state.
 *
 * A move is a compare-and-set on the state's sequence number: the caller holds a state it has just
 * read, the move writes the next number with a random tag, and reads it back; a writer that does
 * not find its own write has lost and stops.
 */
import { randomUUID } from 'node:crypto';
import { statusOf } from '../github/api.js';
import {
  checkRunName,
  fitOutput,
  type CheckRunFields,
  type CheckRunFieldsWithOutput,
} from '../github/check-run.js';
import type { CommandContext } from './context.js';
import { inert } from './inert.js';
import { readRequest, StaleRequest, type TrackedRequest } from './request-read.js';
import { canMove, encodeState, stateKey, targetsOf, type RequestState, type RequestStatus } from './state.js';

export { readRequest, readRequests, StaleRequest, type TrackedRequest } from './request-read.js';

/**
 * What the check run shows (the summary fitted under GitHub's limit) and, as the last line of its
 * text, the signed state; the door's approval note (a GitHub Environment's reviewers) above it.
 */
function checkOutput(
  ctx: CommandContext,
  output: { title: string; summary: string },
  state: RequestState,
): { title: string; summary: string; text: string } {
  const { title, summary } = fitOutput({ title: output.title, summary: output.summary }, undefined);
  const note = ctx.settings.approvalNote ? `${ctx.settings.approvalNote}\n` : '';
  return { title, summary, text: `${note}${encodeState(stateKey(ctx.settings.stateSecret), state)}` };
}

/** The status comment's text: a first line people and scripts can rely on, then the body. */
export function statusBody(ctx: CommandContext, state: RequestState, body: string): string {
  const what =
    state.kind === 'rollback'
      ? `\`/rollback ${state.environment}\``
      : // A fan-out names every target, in the order they run, as it was asked.
        `\`/sync ${targetsOf(state).join(',')}\` from \`${state.from}\``;
  const approve = state.status === 'pending' ? ` · reply \`/approve ${state.request}\`` : '';
  const title = `**api7-sync** · request ${state.request} by @${state.requester} · **${state.status}** · ${what}${approve}`;
  const glass = state.breakGlass
    ? `\n\n🔨 **Break glass** (promotion window overridden): ${inert(state.breakGlass)}`
    : '';
  const gate = ctx.settings.approvalNote ? `\n\n${ctx.settings.approvalNote}` : '';
  return `${title}\n\n${body}${glass}${gate}`;
}

const UNSAVED = 0;

/**
 * A request decided and started within one command (no approvals needed): nothing is written
 * while it runs, and it is written once, in the state it ends in (`done`, `failed`, or why it did
 * not run). Its 👀 reaction is its once-only claim, its lock and its deployment (the app's own,
 * carrying the signed state) say it runs, and recovery finds it there if its process dies.
 */
export function unsavedRequest(
  draft: Omit<RequestState, 'seq' | 'approvals' | 'handled'>,
  output: { title: string; summary: string },
): TrackedRequest {
  return {
    checkRun: UNSAVED,
    state: { ...draft, seq: 0, approvals: [], handled: [draft.request] },
    output: { title: output.title, summary: output.summary },
  };
}

/** Whether the request has been written to GitHub yet (see `unsavedRequest`). */
export const isSaved = (tracked: TrackedRequest): boolean => tracked.checkRun !== UNSAVED;

/**
 * A new request: its status comment, then its check run holding the state (which names the
 * comment, so that later moves update it). `fields` must carry an output for the check run.
 */
export async function createRequest(
  ctx: CommandContext,
  draft: Omit<RequestState, 'seq' | 'approvals' | 'handled'>,
  body: string,
  fields: CheckRunFieldsWithOutput,
): Promise<TrackedRequest> {
  const statusComment = await ctx.pr.comment(
    statusBody(ctx, { ...draft, seq: 1, approvals: [], handled: [] }, body),
  );
  const state: RequestState = {
    ...draft,
    seq: 1,
    approvals: [],
    handled: [draft.request],
    statusComment,
  };
  const { data } = await ctx.pr.github.request('POST /repos/{owner}/{repo}/check-runs', {
    ...ctx.pr.repo,
    name: checkRunName(targetsOf(state).join(',')),
    head_sha: state.headSha,
    external_id: String(state.request),
    ...(ctx.commentUrl ? { details_url: ctx.commentUrl } : {}),
    ...fields,
    output: checkOutput(ctx, fields.output, state),
  });
  const checkRun = Number((data as { id: number }).id);
  return {
    checkRun,
    state: { ...state, checkRun },
    output: { title: fields.output.title, summary: fields.output.summary },
  };
}

/**
 * Moves a request forward (never backwards; see `canMove`) from the state the caller just read:
 * writes the next sequence number, reads it back, then renders the status comment.
 */
export async function moveRequest(
  ctx: CommandContext,
  from: TrackedRequest,
  to: RequestStatus,
  body: string,
  changes: Partial<RequestState> = {},
  fields: CheckRunFields = {},
): Promise<TrackedRequest> {
  const { request, status } = from.state;
  if (!canMove(status, to)) throw new StaleRequest(`request ${request} is ${status}; it cannot become ${to}`);
  const next: RequestState = { ...from.state, ...changes, status: to };
  // Not written yet and only starting: stays unwritten until it ends (see `unsavedRequest`).
  if (from.checkRun === UNSAVED && to === 'running')
    return { ...from, state: next, output: { ...from.output, ...fields.output } };
  // A request not written yet is written once, in the state it has reached (one comment, one check run).
  if (from.checkRun === UNSAVED)
    return createRequest(ctx, next, body, {
      ...fields,
      output: { ...from.output, ...fields.output },
    });
  const written = await writeState(ctx, from, next, fields);
  const after = await readRequest(ctx, from.checkRun);
  if (!after || after.state.writer !== written.state.writer || after.state.seq !== written.state.seq)
    throw new StaleRequest(`request ${request} was moved by another writer meanwhile`);
  // Running shows in the check run (in progress) and the 👀: the status comment keeps what it said
  // until the result, one write less per run.
  return to === 'running' ? after : render(ctx, after, body);
}

/** Writes `next` with the next sequence number into the check run that holds `from`. */
async function writeState(
  ctx: CommandContext,
  from: TrackedRequest,
  next: RequestState,
  fields: CheckRunFields,
): Promise<TrackedRequest> {
  const state: RequestState = { ...next, seq: from.state.seq + 1, writer: randomUUID() };
  delete state.checkRun;
  const output = {
    title: fields.output?.title ?? from.output.title,
    summary: fields.output?.summary ?? from.output.summary,
  };
  await ctx.pr.github.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
    ...ctx.pr.repo,
    check_run_id: from.checkRun,
    ...fields,
    output: checkOutput(ctx, output, state),
  });
  return { checkRun: from.checkRun, state: { ...state, checkRun: from.checkRun }, output };
}

/**
 * Writes the status comment from the state. A comment someone deleted is posted again, and the
 * state records where; an edited one is simply overwritten.
 */
async function render(ctx: CommandContext, tracked: TrackedRequest, body: string): Promise<TrackedRequest> {
  const text = statusBody(ctx, tracked.state, body);
  const id = tracked.state.statusComment;
  if (id !== undefined) {
    try {
      await ctx.pr.updateComment(id, text);
      return tracked;
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      ctx.settings.log.warn(
        `the status comment of request ${tracked.state.request} was deleted; posting it again`,
      );
    }
  }
  const statusComment = await ctx.pr.comment(text);
  return writeState(ctx, tracked, { ...tracked.state, statusComment }, {});
}

/**
 * The head moved: a waiting request goes on in a new check run on the new head (where readers
 * look), and the old one is closed, naming the new one, so that it is never read as current.
 */
export async function carryRequest(
  ctx: CommandContext,
  from: TrackedRequest,
  headSha: string,
  changes: Partial<RequestState>,
  fields: CheckRunFields,
): Promise<TrackedRequest> {
  const state: RequestState = { ...from.state, ...changes, headSha, seq: from.state.seq + 1 };
  delete state.checkRun;
  const output = {
    title: fields.output?.title ?? from.output.title,
    summary: fields.output?.summary ?? from.output.summary,
  };
  const { data } = await ctx.pr.github.request('POST /repos/{owner}/{repo}/check-runs', {
    ...ctx.pr.repo,
    name: checkRunName(targetsOf(state).join(',')),
    head_sha: headSha,
    external_id: String(state.request),
    ...(ctx.commentUrl ? { details_url: ctx.commentUrl } : {}),
    ...fields,
    output: checkOutput(ctx, output, state),
  });
  const checkRun = Number((data as { id: number }).id);
  await writeState(
    ctx,
    from,
    { ...from.state, carriedTo: checkRun },
    {
      status: 'completed',
      conclusion: 'neutral',
      completed_at: new Date(ctx.settings.now()).toISOString(),
      output: { title: `Moved to ${headSha.slice(0, 7)}`, summary: from.output.summary },
    },
  );
  return { checkRun, state: { ...state, checkRun }, output };
}

/** Renders a state again without moving it (a request that carried on to a new head). */
export function renderRequest(
  ctx: CommandContext,
  tracked: TrackedRequest,
  body: string,
): Promise<TrackedRequest> {
  return render(ctx, tracked, body);
}
