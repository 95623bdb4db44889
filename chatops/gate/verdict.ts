/**
 * What the gate found: one outcome per rule, in the order a reader checks them. The gate approves
 * only when every rule it checked passed; a rule that could not be checked rejects, never approves.
 */

export type RuleName =
  | 'config'
  | 'environment'
  | 'operator policy'
  | 'source runs the version'
  | 'soak'
  | 'promotion window'
  | 'drift guard'
  | 'lock';

export interface RuleOutcome {
  rule: RuleName;
  /** `unknown`: the rule could not be evaluated (API7 unreachable, …); it rejects like a failure. */
  outcome: 'passed' | 'failed' | 'unknown';
  /** Markdown, with anything untrusted already made inert. */
  detail: string;
}

export interface Verdict {
  githubEnvironment: string;
  /** The api7-sync environment that answers for it, once known. */
  environment?: string;
  from?: string;
  rules: RuleOutcome[];
  /** The plan table (markdown), when API7 could be read. */
  table?: string;
}

export function isApproved(verdict: Verdict): boolean {
  return verdict.rules.length > 0 && verdict.rules.every((r) => r.outcome === 'passed');
}

export const passed = (rule: RuleName, detail: string): RuleOutcome => ({ rule, outcome: 'passed', detail });
export const failed = (rule: RuleName, detail: string): RuleOutcome => ({ rule, outcome: 'failed', detail });
export const unknown = (rule: RuleName, detail: string): RuleOutcome => ({
  rule,
  outcome: 'unknown',
  detail,
});

/** Ends the evaluation early: a rule without which no other can be checked (no config, no mapping). */
export class GateStop extends Error {
  constructor(readonly outcome: RuleOutcome) {
    super(`${outcome.rule}: ${outcome.detail}`);
    this.name = 'GateStop';
  }
}
