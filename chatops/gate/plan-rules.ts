/**
 * The rules only API7 can answer, from one plan of the promotion `promoteFrom` implies: the source
 * runs a version for every service, that version has soaked, and no target was edited by hand. The
 * engine comes from the door's engine source (the operator policy) and is only asked to plan:
 * nothing is written to API7. The window is checked apart (window-rule.ts), so the plan is made
 * without it and a closed window hides none of these.
 */
import {
  baseResult,
  type Config,
  resultMarkdown,
  type Plan,
  type PlanEntry,
  buildResult,
} from '../../engine/index.js';
import type { EngineSource } from '../context.js';
import { inert } from '../inert.js';
import { describeFailure } from '../failure.js';
import { failed, passed, unknown, type RuleOutcome } from './verdict.js';

export interface PlanRules {
  rules: RuleOutcome[];
  table?: string;
}

const RULES = ['source runs the version', 'soak', 'drift guard'] as const;

export async function planRules(
  engines: EngineSource,
  repository: string,
  config: Config,
  from: string,
  to: string,
): Promise<PlanRules> {
  const started = Date.now();
  let plan: Plan;
  try {
    const engine = engines.open(repository, withoutWindows(config, to), {
      environments: [from, to],
      services: Object.keys(config.services),
    });
    try {
      plan = await engine.plan({ from, to });
    } finally {
      await engine.close();
    }
  } catch (err) {
    const why = `API7 could not be asked: ${describeFailure(err)}`;
    return { rules: RULES.map((rule) => unknown(rule, why)) };
  }
  const soak = config.environments[to]?.soak?.[from];
  const result = buildResult(plan, plan.entries.map(planned), true, started);
  return {
    rules: [sourceRule(plan, from), soakRule(plan, from, soak), driftRule(plan)],
    table: resultMarkdown(result),
  };
}

const planned = (e: PlanEntry) =>
  baseResult(e, e.decision === 'sync' ? 'planned' : e.decision === 'unchanged' ? 'unchanged' : 'refused');

const refusedFor = (plan: Plan, reason: string) =>
  plan.entries.filter((e) => e.decision === 'refused' && e.reason === reason);

const reasons = (entries: PlanEntry[]) =>
  entries
    .map((e) => `\n  - ${inert(e.name)}: ${inert(e.message ?? e.reason ?? 'refused', { max: 600 })}`)
    .join('');

function sourceRule(plan: Plan, from: string): RuleOutcome {
  const other = plan.entries.filter(
    (e) => e.decision === 'refused' && e.reason !== 'soak-not-met' && e.reason !== 'target-edited',
  );
  if (other.length) return failed('source runs the version', `not for every service:${reasons(other)}`);
  if (!plan.entries.length) return failed('source runs the version', 'the config names no service');
  const runs = plan.entries
    .map(
      (e) =>
        `${inert(e.name)} ${inert(e.version ?? '?')}${e.decision === 'unchanged' ? ' (already in place)' : ''}`,
    )
    .join(', ');
  return passed('source runs the version', `\`${from}\` runs ${runs}`);
}

function soakRule(plan: Plan, from: string, soak: string | undefined): RuleOutcome {
  if (soak === undefined) return passed('soak', `no soak is set for promotions from \`${from}\``);
  const young = refusedFor(plan, 'soak-not-met');
  if (young.length) return failed('soak', `not met:${reasons(young)}`);
  return passed('soak', `every version has run in \`${from}\` for at least ${inert(soak)}`);
}

function driftRule(plan: Plan): RuleOutcome {
  const edited = refusedFor(plan, 'target-edited');
  if (edited.length)
    return failed('drift guard', `edited by hand in the target ("No Version"):${reasons(edited)}`);
  return passed('drift guard', 'no target service was edited by hand since its last promotion');
}

/** The config with the target's windows left out, for the plan only. */
function withoutWindows(config: Config, to: string): Config {
  const env = config.environments[to];
  if (!env?.protection?.windows) return config;
  const { windows: _windows, ...protection } = env.protection;
  return { ...config, environments: { ...config.environments, [to]: { ...env, protection } } };
}
