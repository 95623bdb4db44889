/**
 * The gate's verdict for one `deployment_protection_rule` event: the config from the default
 * branch, the api7-sync environment that answers for the GitHub environment, its one source
 * (`promoteFrom`), the operator policy, then the rules (lock, window, and what a plan from API7
 * says). Reads only: GitHub's contents and lock ref, and an API7 plan.
 */
import type { Config } from '../../engine/index.js';
import type { GitHubClient } from '../../github/api.js';
import type { EngineSource } from '../context.js';
import { inert } from '../inert.js';
import { readGateConfig } from './config.js';
import type { GateEvent } from './event.js';
import { lockRule } from './lock-rule.js';
import { environmentFor } from './mapping.js';
import { planRules } from './plan-rules.js';
import { failed, GateStop, passed, type Verdict } from './verdict.js';
import { windowRule } from './window-rule.js';

export interface GateDeps {
  /** The installation's client for this repository. */
  github: GitHubClient;
  /** The door's only way to an engine (the operator policy). */
  engines: EngineSource;
  configPath: string;
  now: () => number;
}

export async function judge(event: GateEvent, deps: GateDeps): Promise<Verdict> {
  const verdict: Verdict = { githubEnvironment: event.githubEnvironment, rules: [] };
  try {
    const config = await readGateConfig(deps.github, event, deps.configPath);
    verdict.rules.push(passed('config', `\`${deps.configPath}\` on the default branch is valid`));
    const to = environmentFor(config, event.githubEnvironment);
    if (!to) throw new GateStop(failed('environment', noMapping(config, event.githubEnvironment, deps)));
    const from = sourceOf(config, to);
    Object.assign(verdict, { environment: to, from });
    verdict.rules.push(passed('environment', `api7-sync environment \`${to}\`, promoted from \`${from}\``));
    const denied = deps.engines.check(event.repository, config, {
      environments: [from, to],
      services: Object.keys(config.services),
    });
    if (denied) throw new GateStop(failed('operator policy', `not permitted for this repository: ${denied}`));
    verdict.rules.push(passed('operator policy', 'the operator allows this promotion'));
    const [plan, lock] = await Promise.all([
      planRules(deps.engines, event.repository, config, from, to),
      lockRule(deps.github, event.repo, to, deps.now),
    ]);
    const [source, soak, drift] = plan.rules;
    verdict.rules.push(source!, soak!, windowRule(to, config.environments[to]!, deps.now()), drift!, lock);
    if (plan.table) verdict.table = plan.table;
    return verdict;
  } catch (err) {
    if (!(err instanceof GateStop)) throw err;
    verdict.rules.push(err.outcome);
    return verdict;
  }
}

function noMapping(config: Config, githubEnvironment: string, deps: GateDeps): string {
  const known = Object.entries(config.environments)
    .map(([name, env]) => inert(env.githubEnvironment ?? name))
    .join(', ');
  return `no environment in \`${deps.configPath}\` answers for GitHub environment ${inert(githubEnvironment)}; it knows ${known}. Name an environment the same, or set \`environments.<env>.githubEnvironment\``;
}

/** The one source `promoteFrom` names; the gate cannot tell which of several a deployment brings. */
function sourceOf(config: Config, to: string): string {
  const sources = [config.environments[to]!.promoteFrom ?? []].flat();
  if (sources.length === 1) return sources[0]!;
  throw new GateStop(
    failed(
      'environment',
      sources.length
        ? `\`${to}\` promotes from ${sources.map((s) => `\`${s}\``).join(', ')}: the gate cannot tell which this deployment brings; give it one promoteFrom`
        : `\`${to}\` has no promoteFrom, so there is no promotion to check; set \`environments.${to}.promoteFrom\``,
    ),
  );
}
