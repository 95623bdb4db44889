/**
 * `/rollback <environment> <service> [--to-version V]`: the environment's rollbackers (default: its
 * deployers) ask; `protection.rollbackApprovals` approvals (default 0) are needed; it runs like a
 * sync, under the lock, with a deployment record.
 */
import type { CommandContext } from '../context.js';
import type { Command } from '../grammar.js';
import { authorise } from '../guards.js';
import { createRequest, unsavedRequest } from '../requests.js';
import { runRequest } from '../run.js';

type Rollback = Extract<Command, { kind: 'rollback' }>;

export async function rollbackCommand(ctx: CommandContext, command: Rollback): Promise<void> {
  const { env, facts } = await authorise(ctx, {
    environment: command.environment,
    role: 'rollbackers',
    needsSource: false,
    services: [command.service],
    lockMustBeFree: true,
  });
  const approvals = env.protection?.rollbackApprovals ?? 0;
  const state: Parameters<typeof createRequest>[1] = {
    v: 3,
    kind: 'rollback',
    request: ctx.commandId,
    repository: ctx.pr.repository,
    pr: ctx.pr.number,
    environment: command.environment,
    from: command.environment,
    services: [command.service],
    ...(command.toVersion ? { toVersion: command.toVersion } : {}),
    requester: ctx.commenter,
    headSha: facts.headSha,
    sourceVersions: {},
    approvalsNeeded: approvals,
    approvalsAfter: ctx.commandId,
    createdAt: new Date(ctx.settings.now()).toISOString(),
    status: approvals > 0 ? 'pending' : 'approved',
    ...(approvals > 0 ? {} : { settledAfter: ctx.commandId }),
  };
  const what = `Roll back \`${command.service.replace(/`/g, "'")}\` in \`${command.environment}\`${command.toVersion ? ` to ${command.toVersion}` : ' to the version that ran before'}.`;
  const output = { title: `Roll back ${command.service}`, summary: what };
  // With no approvals to wait for, the request is written once, as it starts running.
  const tracked =
    approvals > 0
      ? await createRequest(
          ctx,
          state,
          `${what}\n\n**Approvals:** 0 of ${approvals}. Reply \`/approve ${ctx.commandId}\` or \`/deny ${ctx.commandId}\`.`,
          { status: 'queued', output },
        )
      : unsavedRequest(state, output);
  await runRequest(ctx, tracked);
}
