/**
 * What an environment runs now, read from API7 through the door's engine source (so the operator
 * policy applies), for a status comment that must say where things stand after a run stopped.
 */
import { statusMarkdown } from '../engine/index.js';
import { describeFailure, logLine } from './failure.js';
import type { CommandContext } from './context.js';
import { loadRepositoryConfig } from './repository-config.js';

/** The target's versions, read from API7 through the same engine source as any run. */
export async function whatRunsNow(ctx: CommandContext, environment: string): Promise<string> {
  try {
    const config = await loadRepositoryConfig(ctx);
    const engine = ctx.settings.engines.open(ctx.pr.repository, config, {
      environments: [environment],
      services: Object.keys(config.services),
    });
    try {
      const matrix = await engine.status();
      return statusMarkdown({
        environments: matrix.environments.filter((e) => e.name === environment),
        services: matrix.services,
      });
    } finally {
      await engine.close();
    }
  } catch (err) {
    ctx.settings.log.warn(`what ${environment} runs now could not be read: ${logLine(err)}`);
    return `(could not be read: ${describeFailure(err)})`;
  }
}
