/**
 * Who may do what, checked in one order for every command that names an environment: permission →
 * the environment exists (and follows its promoteFrom) → deployers or rollbackers → forks → the
 * operator policy → the environment lock is free. A guard that runs on one path and not another
 * is not a guard, so every handler goes through `authorise`.
 */
import type { Config, EnvironmentConfig } from '../engine/index.js';
import { describeHolder, EnvironmentLock } from '../github/lock.js';
import type { CommandContext } from './context.js';
import { inert } from './inert.js';
import type { PullFacts } from './pull-request.js';
import { Refusal } from './refusal.js';
import { loadRepositoryConfig } from './repository-config.js';

export type Role = 'deployers' | 'rollbackers';

export interface Authorised {
  config: Config;
  env: EnvironmentConfig;
  /** The source environment for a sync; undefined for commands that have none. */
  source: string | undefined;
  facts: PullFacts;
}

export async function requireWrite(ctx: CommandContext): Promise<void> {
  if (!(await ctx.pr.canWrite(ctx.commenter)))
    throw new Refusal('you need write permission on this repository to do that');
}

/**
 * A closed or merged pull request promotes nothing: its head is no longer what anyone reviews, and
 * a merged one's changes are on the default branch, promoted from there. Checked after permission.
 */
export async function requireOpenPullRequest(ctx: CommandContext): Promise<void> {
  await requireWrite(ctx);
  const { state } = await ctx.pr.facts();
  if (state !== 'open')
    throw new Refusal(
      `this pull request is ${state}: it takes no \`/sync\` and no \`/approve\`; open a new pull request (or reopen this one) to promote`,
    );
}

/** The names of the environment's people for a role; an empty list means "anyone who may write". */
export function peopleFor(env: EnvironmentConfig, role: Role): string[] {
  const p = env.protection ?? {};
  return role === 'rollbackers' ? (p.rollbackers ?? p.deployers ?? []) : (p.deployers ?? []);
}

export async function authorise(
  ctx: CommandContext,
  request: {
    environment: string;
    role: Role;
    /** For a sync: the source asked for (`--from`), if any. */
    from?: string;
    needsSource: boolean;
    services: string[];
    /** Whether a held lock refuses the command (not for /lock and /unlock themselves). */
    lockMustBeFree: boolean;
  },
): Promise<Authorised> {
  await requireWrite(ctx);
  const config = await loadRepositoryConfig(ctx);
  const env = config.environments[request.environment];
  if (!env)
    throw new Refusal(
      `there is no environment ${inert(request.environment)} in \`${ctx.settings.configPath}\`; there are: ${Object.keys(
        config.environments,
      )
        .map((e) => `\`${e}\``)
        .join(', ')}`,
      'unknown-environment',
    );
  const source = request.needsSource ? sourceOf(request.environment, env, request.from) : undefined;
  if (source !== undefined && !config.environments[source])
    throw new Refusal(`there is no environment ${inert(source)} to promote from`, 'unknown-environment');
  const people = peopleFor(env, request.role);
  if (people.length && !(await ctx.pr.isAny(ctx.commenter, people)))
    throw new Refusal(
      `you are not among the ${request.role} of \`${request.environment}\` (${people.join(', ')})`,
    );
  const facts = await ctx.pr.facts();
  if (facts.fork && !env.protection?.allowForks)
    throw new Refusal(
      `this pull request comes from a fork (or from a repository that no longer exists); \`${request.environment}\` does not accept it (protection.allowForks)`,
    );
  const denied = ctx.settings.engines.check(ctx.pr.repository, config, {
    environments: [request.environment, ...(source ? [source] : [])],
    services: request.services.length ? request.services : Object.keys(config.services),
  });
  if (denied)
    throw new Refusal(`not permitted for this repository: ${denied}`, 'not-permitted-for-repository');
  if (request.lockMustBeFree) {
    const held = await new EnvironmentLock(ctx.pr.github, ctx.pr.repo, ctx.settings.now).read(
      request.environment,
    );
    if (held && Date.parse(held.info.until) > ctx.settings.now())
      throw new Refusal(
        `the lock on \`${request.environment}\` is ${describeHolder(held.info, inert)}`,
        'lock-held',
      );
  }
  return { config, env, source, facts };
}

/** The one source a promotion into `environment` may come from. */
function sourceOf(environment: string, env: EnvironmentConfig, from: string | undefined): string {
  const sources = env.promoteFrom === undefined ? undefined : [env.promoteFrom].flat();
  if (!sources) {
    if (from === undefined)
      throw new Refusal(
        `\`${environment}\` has no promoteFrom: say where from with \`--from\``,
        'promote-from',
      );
    return from;
  }
  const source = from ?? (sources.length === 1 ? sources[0] : undefined);
  if (!source)
    throw new Refusal(
      `\`${environment}\` accepts promotions from ${sources.map((s) => `\`${s}\``).join(', ')}: say which with \`--from\``,
      'promote-from',
    );
  if (!sources.includes(source))
    throw new Refusal(
      `\`${environment}\` accepts promotions only from ${sources.map((s) => `\`${s}\``).join(', ')}, not from ${inert(source)}`,
      'promote-from',
    );
  return source;
}
