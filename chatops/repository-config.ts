/**
 * The repository config as chat-ops reads it: from the default branch only, so a pull request
 * cannot change who may deploy. The App interpolates no `${VAR}` (it holds secrets that a config
 * must not be able to pull into a comment); workflow mode uses the step's environment.
 */
import { ConfigError, parseConfig, type Config } from '../engine/index.js';
import type { CommandContext } from './context.js';
import { Refusal } from './refusal.js';

export async function loadRepositoryConfig(ctx: CommandContext): Promise<Config> {
  const path = ctx.settings.configPath;
  const text = await ctx.pr.file(path, ctx.defaultBranch);
  if (text === undefined)
    throw new Refusal(
      `there is no \`${path}\` on \`${ctx.defaultBranch}\`; add one (see the README) and merge it first`,
      'config',
    );
  try {
    const config = parseConfig(text, path, { env: ctx.settings.configEnv });
    return ctx.settings.adaptConfig ? ctx.settings.adaptConfig(config) : config;
  } catch (err) {
    if (err instanceof ConfigError)
      throw new Refusal(
        `\`${path}\` on \`${ctx.defaultBranch}\` has problems:\n\n\`\`\`\n${err.message.replace(/`/g, "'")}\n\`\`\``,
        'config',
      );
    throw err;
  }
}
