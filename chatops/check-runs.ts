/**
 * The request's Check Run (`api7-sync / <environment>` on the pull request's head), kept next to
 * its status comment: the run's ID travels in the request state, so whichever process or workflow
 * run moves the request updates the same check run. A check run is a report: failures to write
 * it are logged by the check-run module and never change what chat-ops does.
 */
import type { SyncResult } from '../engine/index.js';
import { createCheckRun, resumeCheckRun, type CheckRun } from '../github/check-run.js';
import type { CommandContext } from './context.js';
import { targetsOf, type RequestState } from './state.js';

type CheckState = Pick<RequestState, 'environment' | 'targets' | 'headSha' | 'request'>;

function context(ctx: CommandContext, state: CheckState) {
  return {
    github: ctx.pr.github,
    repo: ctx.pr.repo,
    headSha: state.headSha,
    // A fan-out keeps one check run, named after all its targets.
    environment: targetsOf(state).join(','),
    logger: ctx.settings.log,
    externalId: String(state.request),
    ...(ctx.commentUrl ? { detailsUrl: ctx.commentUrl } : {}),
    ...(ctx.settings.approvalNote ? { text: ctx.settings.approvalNote } : {}),
  };
}

/** A new check run, queued with the plan; undefined when the door keeps none. */
export async function openCheckRun(
  ctx: CommandContext,
  state: CheckState,
  planned: SyncResult,
): Promise<CheckRun | undefined> {
  if (!ctx.settings.checkRuns) return undefined;
  return createCheckRun(context(ctx, state), planned);
}

/** The request's existing check run, if it has one. */
export function requestCheckRun(ctx: CommandContext, state: RequestState): CheckRun | undefined {
  if (!ctx.settings.checkRuns || state.checkRun === undefined) return undefined;
  return resumeCheckRun(context(ctx, state), state.checkRun);
}

/** Several targets' results as one, for the one check run of a fan-out. */
export function combined(results: SyncResult[]): SyncResult {
  if (results.length === 1) return results[0]!;
  const services = results.flatMap((r) =>
    r.services.map((s) => ({ ...s, name: `${r.to.environment}: ${s.name}` })),
  );
  return {
    ...results[0]!,
    to: { environment: results.map((r) => r.to.environment).join(', '), gatewayGroup: null },
    services,
    ok: results.every((r) => r.ok),
  };
}
