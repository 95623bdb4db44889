/** The gate's comment stays within GitHub's limit, cutting the plan table by whole rows first. */
import { describe, expect, it } from 'vitest';
import { gateComment, MAX_COMMENT } from '../../../chatops/gate/comment.js';
import { failed, passed, type Verdict } from '../../../chatops/gate/verdict.js';

const rules = [passed('config', 'valid'), failed('soak', 'not met'), passed('lock', 'free')];
const header = '| Service | Result |\n| --- | --- |';
const table = (rows: number) =>
  [header, ...Array.from({ length: rows }, (_, i) => `| service ${i} | ⛔ refused |`)].join('\n');

describe('the gate comment', () => {
  it('names every rule and the verdict, then the plan table', () => {
    const verdict: Verdict = {
      githubEnvironment: 'prod @eu',
      environment: 'production',
      from: 'test',
      rules,
      table: table(2),
    };
    const text = gateComment(verdict);
    expect(text.split('\n')[0]).toBe(
      '**api7-sync deployment gate: rejected** for GitHub environment prod @\u200beu → api7-sync environment `production` (from `test`)',
    );
    expect(text).toContain('- ❌ **soak** (failed): not met');
    expect(text).toContain('- ✅ **lock** (passed): free');
    expect(text).toContain('| service 1 | ⛔ refused |');
  });

  it('cuts a long plan table by whole rows, keeping every rule, under the limit', () => {
    const verdict: Verdict = { githubEnvironment: 'production', rules, table: table(5_000) };
    const text = gateComment(verdict);
    expect(text.length).toBeLessThanOrEqual(MAX_COMMENT);
    expect(text).toContain('- ❌ **soak** (failed): not met');
    expect(text).toMatch(/\| ⛔ refused \|\n\n… \(cut to stay within GitHub’s comment limit\)$/);
  });

  it('cuts rule details only when they alone are over the limit', () => {
    const verdict: Verdict = {
      githubEnvironment: 'production',
      rules: [failed('config', 'x'.repeat(100_000))],
    };
    const text = gateComment(verdict, 1_000);
    expect(text.length).toBeLessThanOrEqual(1_000);
    expect(text.startsWith('**api7-sync deployment gate: rejected**')).toBe(true);
    expect(text.endsWith('(cut to stay within GitHub’s comment limit)')).toBe(true);
  });

  it('approves only when every rule passed, and never with no rule at all', () => {
    expect(gateComment({ githubEnvironment: 'p', rules: [passed('config', 'ok')] })).toMatch(
      /: approved\*\*/,
    );
    expect(gateComment({ githubEnvironment: 'p', rules: [] })).toMatch(/: rejected\*\*/);
  });
});
