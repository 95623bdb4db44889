/**
 * Runs an approved request at most once, across redeliveries, restarts and replicas, without any
 * memory of deliveries: under the environment locks the request's state is read again from
 * GitHub, and the job runs only if it is still due (approved, not yet running or finished). It
 * marks itself `running` before the first write to API7, and plans again with the approved
 * versions as the expectation, so what runs is what was approved.
 */
import { lockOrder, type Config, type SyncResult } from '../engine/index.js';
import { describeFailure, logLine } from './failure.js';
import { completedFields, endedFields } from '../github/check-run.js';
import { notify } from '../github/notify.js';
import { startSession, type PromotionSession } from '../github/session.js';
import { claimSessions, endSessions as endEachSession, type Claim } from '../github/promotion.js';
import { combined } from './check-runs.js';
import type { CommandContext } from './context.js';
import { lockRequestId } from './lock-holder.js';
import {
  createRequest,
  isSaved,
  moveRequest,
  readRequest,
  renderRequest,
  StaleRequest,
  type TrackedRequest,
} from './requests.js';
import { loadRepositoryConfig } from './repository-config.js';
import { lapse, rollbackStep, stillAllowed, syncStep, type Outcome } from './run-steps.js';
import { whatRunsNow } from './standing.js';
import { targetsOf, type RequestState } from './state.js';

export async function runRequest(ctx: CommandContext, due: TrackedRequest): Promise<void> {
  const { log } = ctx.settings;
  if (due.state.status !== 'approved') return; // not due: nothing to do, whoever asks
  const { state } = due;
  const holder = { tracked: due };
  if (ctx.settings.mayRun) {
    // The door's gate may leave the run to a later job: the request must be on GitHub by then.
    if (!isSaved(due)) {
      const { handoffRun } = ctx.settings;
      const handed = handoffRun ? { ...due.state, handedTo: handoffRun } : due.state;
      holder.tracked = await createRequest(ctx, handed, 'Approved.', { output: due.output });
    }
    if (!(await ctx.settings.mayRun(ctx, holder.tracked))) return;
  }
  const ours = lockRequestId(ctx.pr.repository, state.pr, state.request);
  const claimed = await claimAll(ctx, state, ours);
  if (!claimed.ok) {
    // Another replica, or an earlier delivery, holds a lock for this very request: it runs it.
    if (claimed.heldBy?.request === ours) return;
    const why = lockHeldText(claimed.environment, claimed.heldBy);
    await moveIfStill(ctx, holder, 'failed', why, endedFields('refused', why));
    return;
  }
  const { sessions } = claimed;
  let outcome: Outcome | undefined;
  try {
    outcome = await underLock(ctx, holder, sessions);
  } catch (err) {
    log.error(`request ${state.request} on ${ctx.pr.repository}#${ctx.pr.number} failed: ${logLine(err)}`);
    // The run may have stopped after writing: say where each environment stands, as read now.
    const standing: string[] = [];
    for (const env of targetsOf(state))
      standing.push(`What \`${env}\` runs now:\n\n${await whatRunsNow(ctx, env)}`);
    outcome = {
      ok: false,
      body: `The ${state.kind} failed: ${describeFailure(err)}\n\n${standing.join('\n\n')}`,
    };
  }
  await finish(ctx, holder, sessions, outcome);
}

/**
 * What is written after the run, in this order: the user-visible result first (the status comment
 * and the check run, from the request's state), then each session's end (its deployment's final
 * status, its lock released), then the notifications. What a session left behind is added to the
 * status comment afterwards, which costs a write only when something was left behind. No final
 * reaction: the 👀 said the command was taken, and the status comment says how it ended.
 */
async function finish(
  ctx: CommandContext,
  holder: { tracked: TrackedRequest },
  sessions: Map<string, PromotionSession>,
  outcome: Outcome | undefined,
): Promise<void> {
  let problems: string[] = [];
  try {
    if (outcome) {
      const fields = outcome.results?.length
        ? completedFields(combined(outcome.results))
        : endedFields('cancelled', outcome.body);
      const status = outcome.interrupted ? 'interrupted' : outcome.ok ? 'done' : 'failed';
      await moveIfStill(ctx, holder, status, outcome.body, fields);
    }
  } finally {
    // Whatever became of the result's writes, the sessions end: deployments closed, locks freed.
    problems = await endSessions(ctx, sessions, outcome);
  }
  if (!outcome) return;
  if (problems.length && holder.tracked.state.status !== 'running')
    holder.tracked = await renderRequest(
      ctx,
      holder.tracked,
      `${outcome.body}\n\n**Left behind:** ${problems.join('; ')}`,
    );
  if (outcome.config)
    for (const result of outcome.results ?? [])
      await announce(ctx, outcome.config, result, sessions.get(result.to.environment)?.deploymentId);
}

/**
 * Ends each environment's session with its own target's outcome, as every door does (a lost lock
 * included); returns what they left behind.
 */
function endSessions(
  ctx: CommandContext,
  sessions: Map<string, PromotionSession>,
  outcome: Outcome | undefined,
): Promise<string[]> {
  const results = outcome?.results;
  const interruptedBy = ctx.settings.cancellation?.interruptedBy;
  return endEachSession(sessions, results && { targets: results }, interruptedBy, () => ({
    logUrl: ctx.commentUrl,
  }));
}

/**
 * One session (lock, deployment, heartbeat) per environment, claimed by the promotion run's
 * `claimSessions` in the engine's lock order, so that two fan-outs over overlapping environments
 * never each hold one lock and wait for the other.
 */
function claimAll(ctx: CommandContext, state: RequestState, ours: string): Promise<Claim> {
  const targets = targetsOf(state);
  return claimSessions(lockOrder(targets.map((t) => [t])), async (environment) => {
    const start = await startSession({
      github: ctx.pr.github,
      repo: ctx.pr.repo,
      environment,
      lock: {
        holder: `${ctx.pr.repository} PR #${state.pr} request ${state.request} (by @${state.requester})`,
        reason: state.kind === 'rollback' ? `/rollback ${environment}` : `/sync ${environment}`,
        url: ctx.commentUrl,
        request: ours,
      },
      heartbeatMs: ctx.settings.heartbeatMs,
      log: ctx.settings.log,
      now: ctx.settings.now,
    });
    if (start.started) ctx.settings.holding?.({ environment, lockRequest: ours });
    return start;
  });
}

/** The run itself; undefined when the request turned out not to be due. */
async function underLock(
  ctx: CommandContext,
  holder: { tracked: TrackedRequest },
  sessions: Map<string, PromotionSession>,
): Promise<Outcome | undefined> {
  // Under the lock, the state is read again: a replica or an earlier delivery may have run it.
  const current = isSaved(holder.tracked) ? await readRequest(ctx, holder.tracked.checkRun) : holder.tracked;
  if (current?.state.status !== 'approved') return undefined; // ran or ended meanwhile
  holder.tracked = current;
  const { state } = current;
  const facts = await ctx.pr.facts();
  if (facts.headSha !== state.headSha) {
    const why = `new commits were pushed (${state.headSha.slice(0, 7)} → ${facts.headSha.slice(0, 7)})`;
    await lapse(ctx, holder, why, { headSha: facts.headSha });
    return undefined;
  }
  // The config and the operator policy are read again now: what was allowed at request time
  // may not be any more (a deployer removed, write access revoked, a fork setting changed).
  const config = await loadRepositoryConfig(ctx);
  await stillAllowed(ctx, state, config, facts.fork);
  const targets = targetsOf(state);
  const engine = ctx.settings.engines.open(ctx.pr.repository, config, {
    environments: state.kind === 'rollback' ? targets : [...targets, state.from],
    services: state.services,
  });
  try {
    const step = { ctx, holder, engine, sessions, config };
    const outcome = state.kind === 'rollback' ? await rollbackStep(step) : await syncStep(step);
    return outcome && { ...outcome, config };
  } finally {
    await engine.close();
  }
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
  const deployments = prUrl.replace(
    /\/pull\/\d+$/,
    `/deployments/${encodeURIComponent(result.to.environment)}`,
  );
  await notify(targets, result, {
    logger: ctx.settings.log,
    links: {
      ...(prUrl ? { pullRequest: prUrl, run: ctx.commentUrl } : {}),
      ...(deploymentId !== undefined && prUrl ? { deployment: deployments } : {}),
    },
  });
}

async function moveIfStill(
  ctx: CommandContext,
  holder: { tracked: TrackedRequest },
  to: 'done' | 'failed' | 'interrupted',
  body: string,
  fields: Parameters<typeof moveRequest>[5],
): Promise<void> {
  try {
    holder.tracked = await moveRequest(ctx, holder.tracked, to, body, {}, fields);
  } catch (err) {
    if (!(err instanceof StaleRequest)) throw err;
    ctx.settings.log.warn(`request ${holder.tracked.state.request}: ${err.message}`);
  }
}

function lockHeldText(environment: string, heldBy: { holder: string; since: string } | undefined): string {
  return `Not started: the lock on \`${environment}\` is held${heldBy ? ` by ${heldBy.holder} since ${heldBy.since}` : ''}. Ask again when it is free.`;
}
