/**
 * The comment GitHub shows with the gate's answer: the verdict, then one line per rule naming it
 * and saying why it passed or failed, then the plan table. GitHub caps comment bodies at 65,536
 * characters; the gate keeps well under that, cutting the plan table first and the rule details
 * last, and saying where it cut.
 */
import { inert } from '../inert.js';
import { isApproved, type RuleOutcome, type Verdict } from './verdict.js';

export const MAX_COMMENT = 60_000;

const MARK: Record<RuleOutcome['outcome'], string> = { passed: '✅', failed: '❌', unknown: '❔' };
const CUT = '\n\n… (cut to stay within GitHub’s comment limit)';

function ruleLine(r: RuleOutcome): string {
  const state = r.outcome === 'unknown' ? 'could not be evaluated, so it rejects' : r.outcome;
  return `- ${MARK[r.outcome]} **${r.rule}** (${state}): ${r.detail}`;
}

export function gateComment(verdict: Verdict, max = MAX_COMMENT): string {
  const word = isApproved(verdict) ? 'approved' : 'rejected';
  const target = verdict.environment
    ? ` → api7-sync environment \`${verdict.environment}\`${verdict.from ? ` (from \`${verdict.from}\`)` : ''}`
    : '';
  const head = `**api7-sync deployment gate: ${word}** for GitHub environment ${inert(verdict.githubEnvironment)}${target}`;
  const body = [head, '', ...verdict.rules.map(ruleLine)].join('\n');
  if (body.length > max) return body.slice(0, max - CUT.length) + CUT;
  if (!verdict.table) return body;
  const withTable = `${body}\n\n**Plan** (nothing was written to API7)\n\n${verdict.table}`;
  if (withTable.length <= max) return withTable;
  // Whole table rows only: a row cut in half would break the markdown table.
  const lines = withTable.split('\n');
  let text = body;
  for (const line of lines.slice(body.split('\n').length)) {
    if (text.length + line.length + 1 + CUT.length > max) break;
    text += `\n${line}`;
  }
  return text + CUT;
}
