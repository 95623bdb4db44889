/** `/status`: the service × environment version matrix, for anyone who may write. */
import type { CommandContext } from '../context.js';
import { requireWrite } from '../guards.js';
import { statusMarkdown } from '../../engine/index.js';
import { loadRepositoryConfig } from '../repository-config.js';

export async function statusCommand(ctx: CommandContext): Promise<void> {
  await requireWrite(ctx);
  const config = await loadRepositoryConfig(ctx);
  const engine = ctx.settings.engines.open(ctx.pr.repository, config, {
    environments: Object.keys(config.environments),
    services: Object.keys(config.services),
  });
  try {
    const matrix = await engine.status();
    await ctx.pr.comment(`**api7-sync** · versions by environment\n\n${statusMarkdown(matrix)}`);
  } finally {
    await engine.close();
  }
}
