/**
 * The steps of a run, under the environment locks: a sync into one environment or several in
 * order (a fan-out), or a rollback; and the checks and lapses around them.
 */
import { BREAK_GLASS_HOW } from './grammar.js';
import { fanOut, type Config, type Engine, type Plan, type SyncResult } from '../engine/index.js';
import { inProgressFields } from '../github/check-run.js';
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
  const targets = targetsOf(state);
  const request = {
    from: state.from,
    services: state.services,
    expectVersion: state.version,
    ...(state.breakGlass ? { breakGlass: state.breakGlass } : {}),
    breakGlassHow: BREAK_GLASS_HOW,
  };
  const plans = await Promise.all(targets.map((to) => engine.plan({ ...request, to })));
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
    return undefined;
  }
  const planned = await Promise.all(plans.map((p) => engine.apply(p, { dryRun: true })));
  holder.tracked = await moveRequest(
    ctx,
    holder.tracked,
    'running',
    `${planned.map(promotionMarkdown).join('\n')}\nRunning…`,
    {},
    inProgressFields(),
  );
  for (const [i, to] of targets.entries()) {
    const gatewayUrl = config.environments[to]?.gatewayUrl;
    await record(step, to, {
      ref: state.headSha,
      description: `api7-sync ${state.from} → ${to} (PR #${state.pr})`,
      payload: deploymentPayload(ctx, holder.tracked, to, planned[i]),
      production: /^prod(uction)?$/i.test(to),
      ...(gatewayUrl ? { environmentUrl: gatewayUrl } : {}),
      logUrl: ctx.commentUrl,
    });
  }
  const verifyTimeoutMs = ctx.settings.verifyTimeoutMs;
  // One target: apply the plan just checked. Several: in order, each verified before the next;
  // a failure stops the rollout and rolls back the target that failed.
  const results =
    targets.length === 1
      ? [await engine.apply(plans[0]!, { verifyTimeoutMs })]
      : (
          await fanOut(engine, config, { ...request, to: targets.join(',') }, { verifyTimeoutMs }, (line) =>
            ctx.settings.log.info(line),
          )
        ).targets;
  return {
    ok: results.every((r) => r.ok),
    body: results.map(promotionMarkdown).join('\n'),
    results,
  };
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
    { verifyTimeoutMs: ctx.settings.verifyTimeoutMs },
  );
  return { ok: result.ok, body: promotionMarkdown(result), results: [result] };
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
