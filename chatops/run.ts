/**
 * Runs an approved request at most once, across redeliveries, restarts and replicas, without any
 * memory of deliveries: under the environment lock the request's state is read again from GitHub,
 * and the job runs only if it is still due (approved, not yet running or finished). It marks
 * itself `running` before the first write to API7, and re-plans with the approved versions as
 * the expectation, so what runs is what was approved.
 */
import { type Config, type Engine, type SyncResult } from '../engine/index.js';
import { notify } from '../github/notify.js';
import { startSession, type DeploymentRequest, type PromotionSession } from '../github/session.js';
import { requestCheckRun } from './check-runs.js';
import type { CommandContext } from './context.js';
import type { CheckRun } from '../github/check-run.js';
import { peopleFor } from './guards.js';
import { lockRequestId } from './lock-holder.js';
import { Refusal } from './refusal.js';
import { moveRequest, readPullRequest, StaleRequest } from './requests.js';
import { loadRepositoryConfig } from './repository-config.js';
import { promotionMarkdown, summaryLine } from './render.js';
import { whatRunsNow } from './standing.js';
import type { RequestState } from './state.js';

export async function runRequest(ctx: CommandContext, request: number): Promise<void> {
  const { log } = ctx.settings;
  const first = (await readPullRequest(ctx)).requests.get(request);
  if (first?.state.status !== 'approved') return; // not due: nothing to do, whoever asks
  const state = first.state;
  const start = await startSession({
    github: ctx.pr.github,
    repo: ctx.pr.repo,
    environment: state.environment,
    lock: {
      holder: `${ctx.pr.repository} PR #${state.pr} request ${state.request} (by @${state.requester})`,
      reason: state.kind === 'rollback' ? `/rollback ${state.environment}` : `/sync ${state.environment}`,
      url: ctx.commentUrl,
      request: lockRequestId(ctx.pr.repository, state.pr, state.request),
    },
    heartbeatMs: ctx.settings.heartbeatMs,
    log,
    now: ctx.settings.now,
  });
  if (!start.started) {
    // Another replica, or an earlier delivery, holds the lock for this very request: it runs it.
    if (start.heldBy?.request === lockRequestId(ctx.pr.repository, state.pr, state.request)) return;
    await moveIfStill(ctx, request, 'failed', lockHeldText(state, start.heldBy));
    await ctx.pr.react(request, 'confused');
    return;
  }
  const session = start.session;
  ctx.settings.holding?.({
    environment: state.environment,
    lockRequest: lockRequestId(ctx.pr.repository, state.pr, state.request),
  });
  let outcome: Outcome | undefined;
  const check = requestCheckRun(ctx, state);
  try {
    outcome = await underLock(ctx, request, session, check);
  } catch (err) {
    log.error(`request ${request} on ${ctx.pr.repository}#${ctx.pr.number} failed: ${messageOf(err)}`);
    // The run may have stopped after writing: say where the environment stands, as read now.
    const standing = await whatRunsNow(ctx, state.environment);
    outcome = {
      ok: false,
      body: `The ${state.kind} failed: ${messageOf(err)}\n\nWhat \`${state.environment}\` runs now:\n\n${standing}`,
    };
  }
  const ended = await session.end({
    state: session.deploymentId === undefined ? 'inactive' : outcome?.ok ? 'success' : 'failure',
    description: outcome?.ok ? 'done' : 'failed',
    logUrl: ctx.commentUrl,
  });
  if (!outcome) return;
  const leftovers = ended.problems.length ? `\n\n**Left behind:** ${ended.problems.join('; ')}` : '';
  await moveIfStill(ctx, request, outcome.ok ? 'done' : 'failed', outcome.body + leftovers);
  await ctx.pr.react(request, outcome.ok ? 'rocket' : 'confused');
  if (outcome.result) await check?.complete(outcome.result);
  else await check?.end('cancelled', outcome.body);
  if (outcome.result && outcome.config)
    await announce(ctx, outcome.config, outcome.result, session.deploymentId);
}

/** Tells the door's notification webhooks; never changes the outcome (failures are logged). */
async function announce(
  ctx: CommandContext,
  config: Config,
  result: SyncResult,
  deploymentId: number | undefined,
): Promise<void> {
  const targets = ctx.settings.notifyTargets(ctx.pr.repository, config);
  if (!targets.length) return;
  const prUrl = ctx.commentUrl.replace(/#.*$/, '');
  await notify(targets, result, {
    logger: ctx.settings.log,
    links: {
      ...(prUrl ? { pullRequest: prUrl } : {}),
      ...(ctx.commentUrl ? { run: ctx.commentUrl } : {}),
      ...(deploymentId !== undefined && prUrl
        ? {
            deployment: prUrl.replace(
              /\/pull\/\d+$/,
              `/deployments/${encodeURIComponent(result.to.environment)}`,
            ),
          }
        : {}),
    },
  });
}

interface Outcome {
  ok: boolean;
  body: string;
  /** The engine's result, when the run got that far, and the config it ran with. */
  result?: SyncResult;
  config?: Config;
}

/** The run itself; undefined when the request turned out not to be due. */
async function underLock(
  ctx: CommandContext,
  request: number,
  session: PromotionSession,
  check: CheckRun | undefined,
): Promise<Outcome | undefined> {
  const view = await readPullRequest(ctx);
  const tracked = view.requests.get(request);
  if (tracked?.state.status !== 'approved') return undefined; // ran or ended meanwhile
  const state = tracked.state;
  const facts = await ctx.pr.facts();
  if (facts.headSha !== state.headSha) {
    await lapse(
      ctx,
      state,
      view.latestCommentId,
      `new commits were pushed (${short(state.headSha)} → ${short(facts.headSha)})`,
      { headSha: facts.headSha },
    );
    return undefined;
  }
  // The config and the operator policy are read again now: what was allowed at request time
  // may not be any more (a deployer removed, write access revoked, a fork setting changed).
  const config = await loadRepositoryConfig(ctx);
  await stillAllowed(ctx, state, config, facts.fork);
  const engine = ctx.settings.engines.open(ctx.pr.repository, config, {
    environments: state.kind === 'rollback' ? [state.environment] : [state.environment, state.from],
    services: state.services,
  });
  try {
    const outcome =
      state.kind === 'rollback'
        ? await rollback(ctx, state, engine, session, check)
        : await sync(
            ctx,
            state,
            engine,
            session,
            check,
            view.latestCommentId,
            config.environments[state.environment]?.gatewayUrl,
          );
    return outcome && { ...outcome, config };
  } finally {
    await engine.close();
  }
}

async function sync(
  ctx: CommandContext,
  state: RequestState,
  engine: Engine,
  session: PromotionSession,
  check: CheckRun | undefined,
  latestCommentId: number,
  environmentUrl: string | undefined,
): Promise<Outcome | undefined> {
  const plan = await engine.plan({
    from: state.from,
    to: state.environment,
    services: state.services,
    expectVersion: state.version,
    ...(state.breakGlass ? { breakGlass: state.breakGlass } : {}),
  });
  const moved = plan.entries.filter(
    (e) =>
      e.sourceVersionId && state.sourceVersions[e.name] && e.sourceVersionId !== state.sourceVersions[e.name],
  );
  if (moved.length) {
    await lapse(
      ctx,
      state,
      latestCommentId,
      `a new version runs in \`${state.from}\` since this was planned (${moved.map((e) => `${e.name}: now ${e.version ?? 'no version'}`).join(', ')})`,
      {
        sourceVersions: Object.fromEntries(
          plan.entries.filter((e) => e.sourceVersionId).map((e) => [e.name, e.sourceVersionId!]),
        ),
      },
    );
    return undefined;
  }
  const planned = await engine.apply(plan, { dryRun: true });
  await moveRequest(ctx, state.request, 'running', `${promotionMarkdown(planned)}\nRunning…`);
  await check?.inProgress();
  await record(ctx, state, session, {
    ref: state.headSha,
    description: `api7-sync ${state.from} → ${state.environment} (PR #${state.pr})`,
    payload: deploymentPayload(ctx, state, planned),
    production: /^prod(uction)?$/i.test(state.environment),
    ...(environmentUrl ? { environmentUrl } : {}),
    logUrl: ctx.commentUrl,
  });
  const result = await engine.apply(plan, { verifyTimeoutMs: ctx.settings.verifyTimeoutMs });
  return { ok: result.ok, body: promotionMarkdown(result), result };
}

async function rollback(
  ctx: CommandContext,
  state: RequestState,
  engine: Engine,
  session: PromotionSession,
  check: CheckRun | undefined,
): Promise<Outcome> {
  const service = state.services[0]!;
  await moveRequest(ctx, state.request, 'running', `Rolling back ${service} in \`${state.environment}\`…`);
  await check?.inProgress();
  await record(ctx, state, session, {
    ref: state.headSha,
    description: `api7-sync rollback of ${service} in ${state.environment} (PR #${state.pr})`,
    payload: deploymentPayload(ctx, state, undefined),
    production: /^prod(uction)?$/i.test(state.environment),
    logUrl: ctx.commentUrl,
  });
  const result = await engine.rollback(
    { environment: state.environment, service, ...(state.toVersion ? { toVersion: state.toVersion } : {}) },
    { verifyTimeoutMs: ctx.settings.verifyTimeoutMs },
  );
  return { ok: result.ok, body: promotionMarkdown(result), result };
}

async function record(
  ctx: CommandContext,
  state: RequestState,
  session: PromotionSession,
  request: DeploymentRequest,
): Promise<void> {
  const deploymentId = await session.recordDeployment(request);
  ctx.settings.holding?.({
    environment: state.environment,
    lockRequest: lockRequestId(ctx.pr.repository, state.pr, state.request),
    deploymentId,
  });
}

/** What recovery needs to find the request again; never anything secret. */
function deploymentPayload(ctx: CommandContext, state: RequestState, planned: SyncResult | undefined) {
  return {
    api7Sync: {
      repository: ctx.pr.repository,
      pr: state.pr,
      request: state.request,
      kind: state.kind,
      environment: state.environment,
      services: state.services,
      ...(state.breakGlass ? { breakGlass: { reason: state.breakGlass, by: state.requester } } : {}),
    },
    ...(planned ? { plan: summaryLine(planned) } : {}),
  };
}

/** The requester's right to ask, checked again under the lock with today's config. */
async function stillAllowed(
  ctx: CommandContext,
  state: RequestState,
  config: Config,
  fork: boolean,
): Promise<void> {
  const env = config.environments[state.environment];
  if (!env) throw new Refusal(`\`${state.environment}\` is no longer in the config`, 'unknown-environment');
  if (!(await ctx.pr.canWrite(state.requester)))
    throw new Refusal(`@${state.requester} no longer has write permission`);
  const people = peopleFor(env, state.kind === 'rollback' ? 'rollbackers' : 'deployers');
  if (people.length && !(await ctx.pr.isAny(state.requester, people)))
    throw new Refusal(
      `@${state.requester} is no longer among the ${state.kind === 'rollback' ? 'rollbackers' : 'deployers'} of \`${state.environment}\``,
    );
  if (fork && !env.protection?.allowForks)
    throw new Refusal(
      `this pull request comes from a fork; \`${state.environment}\` does not accept it (protection.allowForks)`,
    );
}

/** Approvals are bound to a head and to source versions: when either moves, they lapse. */
async function lapse(
  ctx: CommandContext,
  state: RequestState,
  latestCommentId: number,
  why: string,
  changes: Partial<RequestState>,
): Promise<void> {
  await moveRequest(
    ctx,
    state.request,
    'pending',
    `Approvals have lapsed: ${why}. Approvers, check again and reply \`/approve ${state.request}\`.`,
    { ...changes, approvalsAfter: latestCommentId, settledAfter: undefined },
  );
  await ctx.pr.react(state.request, 'confused');
}

async function moveIfStill(
  ctx: CommandContext,
  request: number,
  to: 'done' | 'failed',
  body: string,
): Promise<void> {
  try {
    await moveRequest(ctx, request, to, body);
  } catch (err) {
    if (!(err instanceof StaleRequest)) throw err;
    ctx.settings.log.warn(`request ${request}: ${err.message}`);
  }
}

function lockHeldText(state: RequestState, heldBy: { holder: string; since: string } | undefined): string {
  return `Not started: the lock on \`${state.environment}\` is held${heldBy ? ` by ${heldBy.holder} since ${heldBy.since}` : ''}. Ask again when it is free.`;
}

const short = (sha: string) => sha.slice(0, 7);

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
