/** `/sync <environment> [service ...] [--version V] [--from ENV] [--dry-run]`. */
import type { CommandContext } from '../context.js';
import type { Command } from '../grammar.js';
import { openCheckRun } from '../check-runs.js';
import { authorise } from '../guards.js';
import { Refusal } from '../refusal.js';
import { promotionMarkdown } from '../render.js';
import { postStatus, readPullRequest } from '../requests.js';
import { runRequest } from '../run.js';
import type { RequestState } from '../state.js';

type Sync = Extract<Command, { kind: 'sync' }>;

export async function syncCommand(ctx: CommandContext, command: Sync): Promise<void> {
  // A redelivery (or a second replica) of a request already taken: only resume a run that is due.
  const existing = (await readPullRequest(ctx)).requests.get(ctx.commandId);
  if (existing) return runRequest(ctx, ctx.commandId);
  if (command.targets.length > 1)
    throw new Refusal(
      `from a pull request, promote one environment per request: \`/sync ${command.targets[0]}\`, then the next (the CLI and the Action take several)`,
      'usage',
    );
  const { config, env, source, facts } = await authorise(ctx, {
    environment: command.environment,
    role: 'deployers',
    from: command.from,
    needsSource: true,
    services: command.services,
    lockMustBeFree: !command.dryRun,
  });
  const from = source!;
  const engine = ctx.settings.engines.open(ctx.pr.repository, config, {
    environments: [command.environment, from],
    services: command.services.length ? command.services : Object.keys(config.services),
  });
  try {
    const plan = await engine.plan({
      from,
      to: command.environment,
      services: command.services.length ? command.services : undefined,
      expectVersion: command.version,
      ...(command.breakGlass ? { breakGlass: command.breakGlass } : {}),
    });
    const planned = await engine.apply(plan, { dryRun: true });
    const approvals = command.dryRun ? 0 : (env.protection?.approvals ?? 0);
    const state: RequestState = {
      v: 2,
      kind: 'sync',
      request: ctx.commandId,
      repository: ctx.pr.repository,
      pr: ctx.pr.number,
      environment: command.environment,
      from,
      services: plan.entries.map((e) => e.name),
      ...(command.version ? { version: command.version } : {}),
      ...(command.breakGlass ? { breakGlass: command.breakGlass } : {}),
      requester: ctx.commenter,
      headSha: facts.headSha,
      sourceVersions: Object.fromEntries(
        plan.entries.filter((e) => e.sourceVersionId).map((e) => [e.name, e.sourceVersionId!]),
      ),
      approvalsNeeded: approvals,
      approvalsAfter: ctx.commandId,
      createdAt: new Date(ctx.settings.now()).toISOString(),
      status: 'pending',
    };
    const check = await openCheckRun(ctx, state, planned);
    if (check?.id !== undefined) state.checkRun = check.id;
    const refused = planned.services.some((s) => s.action === 'refused');
    const nothing = planned.services.every((s) => s.action === 'unchanged');
    const table = promotionMarkdown(planned);
    if (command.dryRun || refused || nothing) {
      const status = refused ? 'failed' : 'done';
      const note = command.dryRun
        ? 'Dry run: nothing was changed.'
        : refused
          ? 'Refused: nothing was changed.'
          : 'Already in place: nothing to do.';
      if (await postStatus(ctx, { ...state, status }, `${table}\n${note}`))
        await ctx.pr.react(ctx.commandId, refused ? 'confused' : 'rocket');
      if (refused) await check?.end('refused', 'refused at plan time: nothing was changed', planned);
      else await check?.complete(planned);
      return;
    }
    if (approvals > 0) {
      const approvers = (env.protection?.approvers ?? []).join(', ') || 'nobody: set protection.approvers';
      const hours = env.protection?.approvalHours ?? Math.round(ctx.settings.approvalTtlMs / 3_600_000);
      await postStatus(
        ctx,
        state,
        `${table}\n**Approvals:** 0 of ${approvals} · approvers: ${approvers}. Reply \`/approve ${ctx.commandId}\` or \`/deny ${ctx.commandId}\`. Approvals lapse on a new push, a new source version, or after ${hours} h.`,
      );
      return;
    }
    await postStatus(
      ctx,
      { ...state, status: 'approved', settledAfter: ctx.commandId },
      `${table}\nStarting…`,
    );
  } finally {
    await engine.close();
  }
  await runRequest(ctx, ctx.commandId);
}
