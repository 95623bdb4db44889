/**
 * What the repository's config (read from the default branch) says about approvals when chat-ops
 * runs in a workflow: whether `/approve` comments count anywhere, and whether approvals need a
 * state secret of their own. A config that does not parse is left to the command's handler,
 * which reports it in the pull request.
 */
import type { CommandContext } from '../chatops/context.js';
import { parseConfig, SyncError } from '../engine/index.js';

/** Whether any environment takes `/approve` comments in a workflow (protection.workflowApprovals). */
export async function commentApprovalsCount(ctx: CommandContext): Promise<boolean> {
  const text = await ctx.pr.file(ctx.settings.configPath, ctx.defaultBranch);
  if (text === undefined) return true; // the handler says that the config is missing
  try {
    const config = parseConfig(text, ctx.settings.configPath, { env: ctx.settings.configEnv });
    return Object.values(config.environments).some((e) => e.protection?.workflowApprovals === 'comments');
  } catch {
    return true; // the handler reports config problems in the pull request
  }
}

/** Approvals signed with a key derived from the API7 token would outlive a token rotation badly. */
export async function requireSecretForApprovals(ctx: CommandContext): Promise<void> {
  const text = await ctx.pr.file(ctx.settings.configPath, ctx.defaultBranch);
  if (text === undefined) return; // the handler says that the config is missing
  let needs = false;
  try {
    const config = parseConfig(text, ctx.settings.configPath, { env: ctx.settings.configEnv });
    needs = Object.values(config.environments).some(
      (e) => (e.protection?.approvals ?? 0) > 0 || (e.protection?.rollbackApprovals ?? 0) > 0,
    );
  } catch {
    return; // the handler reports config problems in the pull request
  }
  if (needs)
    throw new SyncError(
      'usage',
      'input state-secret is empty, and an environment needs approvals: pass a secret (e.g. secrets.API7_SYNC_STATE_SECRET) so that request state cannot be forged',
    );
}
