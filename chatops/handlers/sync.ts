/**
 * `/sync <environment>[,<environment>...] [service ...] [--version V] [--from ENV] [--dry-run]
 * [--break-glass REASON]`. Several environments are promoted in the order given, each verified
 * before the next (a fan-out); every one of them is authorised as if it were asked for alone.
 */
import { BREAK_GLASS_HOW } from '../grammar.js';
import type { EnvironmentConfig, SyncResult } from '../../engine/index.js';
import { completedFields, endedFields, queuedFields } from '../../github/check-run.js';
import { combined } from '../check-runs.js';
import type { CommandContext } from '../context.js';
import type { Command } from '../grammar.js';
import { authorise, type Authorised } from '../guards.js';
import { Refusal } from '../refusal.js';
import { promotionMarkdown } from '../render.js';
import { createRequest, unsavedRequest, type TrackedRequest } from '../requests.js';
import { runRequest } from '../run.js';
import { sourceVersions } from '../run-steps.js';

type Sync = Extract<Command, { kind: 'sync' }>;

type Draft = Parameters<typeof createRequest>[1];

export async function syncCommand(ctx: CommandContext, command: Sync): Promise<void> {
  const targets = command.targets;
  const granted: Authorised[] = [];
  for (const environment of targets)
    granted.push(
      await authorise(ctx, {
        environment,
        role: 'deployers',
        from: command.from,
        needsSource: true,
        services: command.services,
        lockMustBeFree: !command.dryRun,
      }),
    );
  const sources = [...new Set(granted.map((g) => g.source!))];
  if (sources.length > 1)
    throw new Refusal(
      `${targets.map((t) => `\`${t}\``).join(', ')} promote from different environments (${sources.join(', ')}): say which with \`--from\``,
      'promote-from',
    );
  const { config, facts } = granted.at(-1)!;
  const from = sources[0]!;
  const engine = ctx.settings.engines.open(ctx.pr.repository, config, {
    environments: [...targets, from],
    services: command.services.length ? command.services : Object.keys(config.services),
  });
  let tracked: TrackedRequest;
  try {
    const plans = await Promise.all(
      targets.map((to) =>
        engine.plan({
          from,
          to,
          services: command.services.length ? command.services : undefined,
          expectVersion: command.version,
          ...(command.breakGlass ? { breakGlass: command.breakGlass } : {}),
          breakGlassHow: BREAK_GLASS_HOW,
        }),
      ),
    );
    const planned = await Promise.all(plans.map((p) => engine.apply(p, { dryRun: true })));
    const envs = granted.map((g) => g.env);
    const approvals = command.dryRun ? 0 : Math.max(...envs.map((e) => e.protection?.approvals ?? 0));
    const state: Draft = {
      v: 3,
      kind: 'sync',
      ...(targets.length > 1 ? { targets } : {}),
      request: ctx.commandId,
      repository: ctx.pr.repository,
      pr: ctx.pr.number,
      environment: targets[0]!,
      from,
      services: [...new Set(plans.flatMap((p) => p.entries.map((e) => e.name)))],
      ...(command.version ? { version: command.version } : {}),
      ...(command.breakGlass ? { breakGlass: command.breakGlass } : {}),
      requester: ctx.commenter,
      headSha: facts.headSha,
      sourceVersions: sourceVersions(plans),
      approvalsNeeded: approvals,
      approvalsAfter: ctx.commandId,
      createdAt: new Date(ctx.settings.now()).toISOString(),
      status: 'pending',
    };
    tracked = await announcePlan(ctx, command, state, planned, envs, approvals);
  } finally {
    await engine.close();
  }
  // Runs only if the request is approved now (no approvals needed); otherwise it has nothing to do.
  await runRequest(ctx, tracked);
}

/** The new request, in its check run and status comment: done already, waiting for approvals, or starting. */
async function announcePlan(
  ctx: CommandContext,
  command: Sync,
  state: Draft,
  planned: SyncResult[],
  envs: EnvironmentConfig[],
  approvals: number,
): Promise<TrackedRequest> {
  const table = planned.map(promotionMarkdown).join('\n');
  const plan = combined(planned);
  const services = planned.flatMap((p) => p.services);
  const refused = services.some((s) => s.action === 'refused');
  const nothing = services.every((s) => s.action === 'unchanged');
  if (command.dryRun || refused || nothing) {
    const note = command.dryRun
      ? 'Dry run: nothing was changed.'
      : refused
        ? 'Refused: nothing was changed.'
        : 'Already in place: nothing to do.';
    // No 🚀/😕 besides the 👀: the status comment says how it ended.
    return createRequest(
      ctx,
      { ...state, status: refused ? 'failed' : 'done' },
      `${table}\n${note}`,
      refused
        ? endedFields('refused', 'refused at plan time: nothing was changed', plan)
        : completedFields(plan),
    );
  }
  if (approvals > 0) {
    const approvers =
      [...new Set(envs.flatMap((e) => e.protection?.approvers ?? []))].join(', ') ||
      'nobody: set protection.approvers';
    const hours = Math.min(
      ...envs.map((e) => e.protection?.approvalHours ?? Math.round(ctx.settings.approvalTtlMs / 3_600_000)),
    );
    return createRequest(
      ctx,
      state,
      `${table}\n**Approvals:** 0 of ${approvals} · approvers: ${approvers}. Reply \`/approve ${ctx.commandId}\` or \`/deny ${ctx.commandId}\`. Approvals lapse on a new push, a new source version, or after ${hours} h.`,
      queuedFields(plan),
    );
  }
  // Nothing to wait for: the request is written once, as it starts running under the lock.
  return unsavedRequest(
    { ...state, status: 'approved', settledAfter: ctx.commandId },
    queuedFields(plan).output,
  );
}
