/**
 * The steps of a run, under the environment locks: a sync into one environment or several in
 * order (a fan-out), or a rollback; and the checks and lapses around them.
 */
import { BREAK_GLASS_HOW } from './grammar.js';
import type { Config, Engine, Plan, SyncResult } from '../engine/index.js';
import { inProgressFields } from '../github/check-run.js';
import { promoteUnder, stopSignal, type PlannedTarget } from '../github/promotion.js';
import type { PromotionSession } from '../github/session.js';
import type { CommandContext } from './context.js';
import { peopleFor } from './guards.js';
import { lockRequestId } from './lock-holder.js';
import { Refusal } from './refusal.js';
import { promotionMarkdown, summaryLine } from './render.js';
import { isSaved, moveRequest, type TrackedRequest } from './requests.js';
import { encodeState, stateKey, targetsOf, type RequestState } from './state.js';

export interface Outcome {
  ok: boolean;
  body: string;
  /** Stopped by the door (a cancelled job, a shutdown) before it could finish. */
  interrupted?: boolean;
  /** Each target's result, when the run got that far, and the config it ran with. */
  results?: SyncResult[];
  config?: Config;
}

export interface Step {
  ctx: CommandContext;
  /** The request as last read or written; each move keeps it current for the next. */
  holder: { tracked: TrackedRequest };
  engine: Engine;
  sessions: Map<string, PromotionSession>;
  config: Config;
}

export async function syncStep(step: Step): Promise<Outcome | undefined> {
  const { ctx, holder, engine, config } = step;
  const { state } = holder.tracked;
  const lockRequest = lockRequestId(ctx.pr.repository, state.pr, state.request);
  // Several targets run in order, each verified before the next; a failure stops the rollout and
  // rolls back the target that failed. Each stops before its next write should any lock be lost.
  const promoted = await promoteUnder(step.sessions, {
    to: targetsOf(state).join(','),
    engine,
    config,
    request: {
      from: state.from,
      services: state.services,
      expectVersion: state.version,
      ...(state.breakGlass ? { breakGlass: state.breakGlass } : {}),
      breakGlassHow: BREAK_GLASS_HOW,
    },
    apply: { verifyTimeoutMs: ctx.settings.verifyTimeoutMs },
    signal: ctx.settings.stopping,
    cancellation: ctx.settings.cancellation,
    beforeWrite: (planned) => startRunning(step, planned),
    deployment: ({ environment, preview }) => {
      const gatewayUrl = config.environments[environment]?.gatewayUrl;
      return {
        ref: state.headSha,
        description: `api7-sync ${state.from} → ${environment} (PR #${state.pr})`,
        payload: deploymentPayload(ctx, holder.tracked, environment, preview),
        production: /^prod(uction)?$/i.test(environment),
        ...(gatewayUrl ? { environmentUrl: gatewayUrl } : {}),
        logUrl: ctx.commentUrl,
      };
    },
    onRecorded: (environment, deploymentId) =>
      ctx.settings.holding?.({ environment, lockRequest, deploymentId }),
    log: (line) => ctx.settings.log.info(line),
  });
  if (!promoted) return undefined;
  const results = promoted.result.targets;
  const lost = [...promoted.lostLocks].map(
    ([environment, why]) => `The promotion into \`${environment}\` stopped before its next write: ${why}`,
  );
  const ok = results.every((r) => r.ok);
  // A signal that came once every target was done stopped nothing: the result stands.
  const stopped = ok ? undefined : stoppedBy(ctx);
  return {
    ok,
    // Why the run stopped comes first: a long result table may be cut to fit GitHub's limit.
    body: [
      ...[...(stopped ? [stopped] : []), ...lost].map((line) => `${line}\n`),
      ...results.map(promotionMarkdown),
    ].join('\n'),
    results,
    ...(stopped ? { interrupted: true } : {}),
  };
}

/** What stopped the run from outside (a cancelled job, a shut-down App), in words; or undefined. */
function stoppedBy(ctx: CommandContext): string | undefined {
  const what = 'it stopped before its next write and undid what its rules say.';
  const signal = ctx.settings.cancellation?.interruptedBy;
  if (signal) return `The job was cancelled (${signal}) during the promotion: ${what}`;
  if (ctx.settings.stopping?.aborted) return `api7-sync was shut down during the promotion: ${what}`;
  return undefined;
}

/**
 * Under the locks, with every target planned again: approvals lapse when a new version runs in the
 * source since they were given; otherwise the request says `running` before the first write.
 */
async function startRunning(step: Step, planned: PlannedTarget[]): Promise<boolean> {
  const { ctx, holder } = step;
  const { state } = holder.tracked;
  const plans = planned.flatMap((t) => (t.plan ? [t.plan] : []));
  const moved = plans
    .flatMap((p) => p.entries)
    .filter(
      (e) =>
        e.sourceVersionId &&
        state.sourceVersions[e.name] &&
        e.sourceVersionId !== state.sourceVersions[e.name],
    );
  if (moved.length) {
    const names = [...new Set(moved.map((e) => `${e.name}: now ${e.version ?? 'no version'}`))];
    await lapse(
      ctx,
      holder,
      `a new version runs in \`${state.from}\` since this was planned (${names.join(', ')})`,
      { sourceVersions: sourceVersions(plans) },
    );
    return false;
  }
  const previews = planned.flatMap((t) => (t.preview ? [t.preview] : []));
  holder.tracked = await moveRequest(
    ctx,
    holder.tracked,
    'running',
    `${previews.map(promotionMarkdown).join('\n')}\nRunning…`,
    {},
    inProgressFields(),
  );
  return true;
}

export async function rollbackStep(step: Step): Promise<Outcome> {
  const { ctx, holder, engine } = step;
  const { state } = holder.tracked;
  const service = state.services[0]!;
  holder.tracked = await moveRequest(
    ctx,
    holder.tracked,
    'running',
    `Rolling back ${service} in \`${state.environment}\`…`,
    {},
    inProgressFields(),
  );
  await record(step, state.environment, {
    ref: state.headSha,
    description: `api7-sync rollback of ${service} in ${state.environment} (PR #${state.pr})`,
    payload: deploymentPayload(ctx, holder.tracked, state.environment, undefined),
    production: /^prod(uction)?$/i.test(state.environment),
    logUrl: ctx.commentUrl,
  });
  const result = await engine.rollback(
    { environment: state.environment, service, ...(state.toVersion ? { toVersion: state.toVersion } : {}) },
    // A lost lock stops the rollback before its next write, as it stops a sync.
    {
      verifyTimeoutMs: ctx.settings.verifyTimeoutMs,
      signal: stopSignal(step.sessions, ctx.settings.stopping, ctx.settings.cancellation?.signal),
    },
  );
  const stopped = result.ok ? undefined : stoppedBy(ctx);
  return {
    ok: result.ok,
    body: [...(stopped ? [stopped, ''] : []), promotionMarkdown(result)].join('\n'),
    results: [result],
    ...(stopped ? { interrupted: true } : {}),
  };
}

/** The source snapshots the plans saw: what approvals are bound to. */
export function sourceVersions(plans: Plan[]): Record<string, string> {
  return Object.fromEntries(
    plans.flatMap((p) => p.entries.filter((e) => e.sourceVersionId).map((e) => [e.name, e.sourceVersionId!])),
  );
}

async function record(
  step: Step,
  environment: string,
  request: Parameters<PromotionSession['recordDeployment']>[0],
): Promise<void> {
  const { ctx } = step;
  const { state } = step.holder.tracked;
  const deploymentId = await step.sessions.get(environment)!.recordDeployment(request);
  ctx.settings.holding?.({
    environment,
    lockRequest: lockRequestId(ctx.pr.repository, state.pr, state.request),
    deploymentId,
  });
}

/**
 * What recovery needs to find the request's state again: its check run, or for a request not
 * written yet (see `unsavedRequest`) its signed state itself. Never anything secret.
 */
function deploymentPayload(
  ctx: CommandContext,
  tracked: TrackedRequest,
  environment: string,
  planned: SyncResult | undefined,
) {
  const { state } = tracked;
  return {
    api7Sync: {
      repository: ctx.pr.repository,
      pr: state.pr,
      request: state.request,
      checkRun: tracked.checkRun,
      ...(isSaved(tracked) ? {} : { state: encodeState(stateKey(ctx.settings.stateSecret), state) }),
      kind: state.kind,
      environment,
      services: state.services,
      ...(state.breakGlass ? { breakGlass: { reason: state.breakGlass, by: state.requester } } : {}),
    },
    ...(planned ? { plan: summaryLine(planned) } : {}),
  };
}

/** The requester's right to ask, checked again under the lock with today's config. */
export async function stillAllowed(
  ctx: CommandContext,
  state: RequestState,
  config: Config,
  fork: boolean,
): Promise<void> {
  if (!(await ctx.pr.canWrite(state.requester)))
    throw new Refusal(`@${state.requester} no longer has write permission`);
  const role = state.kind === 'rollback' ? 'rollbackers' : 'deployers';
  for (const name of targetsOf(state)) {
    const env = config.environments[name];
    if (!env) throw new Refusal(`\`${name}\` is no longer in the config`, 'unknown-environment');
    const people = peopleFor(env, role);
    if (people.length && !(await ctx.pr.isAny(state.requester, people)))
      throw new Refusal(`@${state.requester} is no longer among the ${role} of \`${name}\``);
    if (fork && !env.protection?.allowForks)
      throw new Refusal(
        `this pull request comes from a fork; \`${name}\` does not accept it (protection.allowForks)`,
      );
  }
}

/**
 * Approvals are bound to a head and to source versions: when either moves, they lapse. Only
 * comments after the one that noticed (if a comment did) may approve again.
 */
export async function lapse(
  ctx: CommandContext,
  holder: { tracked: TrackedRequest },
  why: string,
  changes: Partial<RequestState>,
): Promise<void> {
  const { state } = holder.tracked;
  holder.tracked = await moveRequest(
    ctx,
    holder.tracked,
    'pending',
    `Approvals have lapsed: ${why}. Approvers, check again and reply \`/approve ${state.request}\`.`,
    {
      ...changes,
      approvals: [],
      approvalsAfter: Math.max(state.approvalsAfter, ctx.commandId),
      settledAfter: undefined,
    },
    { status: 'queued' },
  );
  await ctx.pr.react(state.request, 'confused');
}
