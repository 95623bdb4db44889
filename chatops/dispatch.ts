/**
 * The chat-ops door's one error funnel: a command comment goes to its handler; a refusal becomes
 * a reply and 😕; a request that moved on meanwhile is logged; anything else is logged, answered
 * without internals, and rethrown so the door can fail (the Action's step) or record it (the bot).
 */
import type { CommandContext } from './context.js';
import type { Command, Parsed } from './grammar.js';
import { decideCommand } from './handlers/decide.js';
import { lockCommand } from './handlers/lock.js';
import { rollbackCommand } from './handlers/rollback.js';
import { statusCommand } from './handlers/status.js';
import { syncCommand } from './handlers/sync.js';
import { requireOpenPullRequest, requireWrite } from './guards.js';
import { helpText, usageList } from './render.js';
import { Refusal } from './refusal.js';
import { StaleRequest } from './requests.js';
import { describeFailure, logLine } from './failure.js';

export type Outcome = 'done' | 'refused' | 'ignored';

export async function handleCommand(ctx: CommandContext, parsed: Exclude<Parsed, null>): Promise<Outcome> {
  try {
    // Before anything is read about the pull request: a stranger's command costs one question.
    await requireWrite(ctx);
    // Each command comment acts once, however often it is delivered (redelivery, replica, re-run).
    if (!(await ctx.pr.claim(ctx.commandId))) {
      ctx.settings.log.info(`comment ${ctx.commandId} was handled already; nothing more to do`);
      return 'ignored';
    }
    if (!parsed.ok) {
      await ctx.pr.comment(`@${ctx.commenter} ${parsed.error}.\n\nUsage:\n\n${usageList()}`);
      return 'refused';
    }
    await route(ctx, parsed.command);
    return 'done';
  } catch (err) {
    if (err instanceof Refusal) {
      await ctx.pr.comment(`@${ctx.commenter} ${err.message}`);
      await ctx.pr.react(ctx.commandId, 'confused');
      return 'refused';
    }
    if (err instanceof StaleRequest) {
      ctx.settings.log.info(`comment ${ctx.commandId}: ${err.message}`);
      return 'ignored';
    }
    ctx.settings.log.error(
      `comment ${ctx.commandId} on ${ctx.pr.repository}#${ctx.pr.number} failed: ${logLine(err)}`,
    );
    try {
      await ctx.pr.comment(`@${ctx.commenter} api7-sync could not do that: ${describeFailure(err)}`);
      await ctx.pr.react(ctx.commandId, 'confused');
    } catch (reply) {
      ctx.settings.log.error(`and the reply could not be posted: ${logLine(reply)}`);
    }
    throw err;
  }
}

function route(ctx: CommandContext, command: Command): Promise<void> {
  switch (command.kind) {
    case 'help':
      // Like every command, for people who may write (checked above): a reader cannot make the bot talk.
      return ctx.pr.comment(helpText()).then(() => undefined);
    case 'sync':
      return requireOpenPullRequest(ctx).then(() => syncCommand(ctx, command));
    case 'approve':
      return requireOpenPullRequest(ctx).then(() => decideCommand(ctx, command));
    case 'deny':
      return decideCommand(ctx, command);
    case 'rollback':
      return rollbackCommand(ctx, command);
    case 'lock':
    case 'unlock':
      return lockCommand(ctx, command);
    case 'status':
      return statusCommand(ctx);
  }
}
