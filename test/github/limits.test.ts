/**
 * GitHub refuses a comment over 65,536 characters and a Check Run output part over 65,535 (the
 * stand-in does too). A 600-service promotion must still post its status comment, keep its
 * request state, and complete its Check Run, with the long lists summarised.
 */
import { getOctokit } from '@actions/github';
import { afterEach, describe, expect, it } from 'vitest';
import { PullRequest } from '../../chatops/pull-request.js';
import { promotionMarkdown } from '../../chatops/render.js';
import type { GitHubClient } from '../../github/api.js';
import { createCheckRun } from '../../github/check-run.js';
import { fitText, MAX_CHECK_OUTPUT_CHARS, MAX_COMMENT_CHARS } from '../../github/limits.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-server.js';
import { syncResult } from '../helpers/results.js';

let gh: FakeGitHub | undefined;
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

const HEAD = 'c0ffee'.padEnd(40, '0');
const repo = { owner: 'acme', repo: 'shop' };
const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** 600 services with realistic names, versions, runtimes and notes. */
const sixHundred = (action: 'planned' | 'synced') =>
  syncResult(
    Array.from({ length: 600 }, (_, i) => ({
      action,
      name: `payments-service-${String(i).padStart(3, '0')} (eu-west @team-payments) ${'settlement-'.repeat(8)}`,
      version: `2.${i}.0`,
      previousVersion: `1.${i}.0`,
      message: action === 'synced' ? undefined : `would publish version 2.${i}.0 over 1.${i}.0`,
    })),
  );

describe("GitHub's size limits", () => {
  it('a 600-service status comment is posted under 65,536 characters with its state marker whole', async () => {
    gh = await fakeGitHub();
    const pr = new PullRequest(getOctokit('t', { baseUrl: gh.url }) as unknown as GitHubClient, repo, 7);
    const table = promotionMarkdown(sixHundred('planned'));
    expect(table.length).toBeGreaterThan(MAX_COMMENT_CHARS);
    const marker = '<!-- api7-sync:state eyJ2IjoyfQ.c2lnbmF0dXJl -->';
    const id = await pr.comment(`**api7-sync** · request 1 by @alice · **pending**\n\n${table}\n${marker}`);
    const posted = gh.comments.find((c) => c.id === id)!.body;
    expect(posted.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(posted.endsWith(`\n${marker}`)).toBe(true);
    expect(posted).toMatch(/\n\n… \d+ more lines left out here \(GitHub's size limit\)/);
    // Whole rows only: every table line kept still has its seven cell separators.
    for (const line of posted.split('\n').filter((l) => l.startsWith('| payments')))
      expect(line.match(/(?<!\\)\|/g)).toHaveLength(7);
    await pr.updateComment(id, `${posted}\n\nmore`.repeat(2));
    expect(gh.comments.find((c) => c.id === id)!.body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
  });

  it('a 600-service Check Run is queued with the plan and completes, each output part under 65,535', async () => {
    gh = await fakeGitHub();
    const check = await createCheckRun(
      {
        github: getOctokit('t', { baseUrl: gh.url }) as unknown as GitHubClient,
        repo,
        headSha: HEAD,
        environment: 'production',
        logger: quiet,
        text: `🛡️ Approved by @bob.\n${'x'.repeat(70_000)}`,
      },
      sixHundred('planned'),
    );
    expect(check.id).toBeDefined();
    expect(await check.complete(sixHundred('synced'))).toBe(true);
    const run = gh.checkRuns[0]!.run;
    expect(run).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(run.output.summary.length).toBeLessThanOrEqual(MAX_CHECK_OUTPUT_CHARS);
    expect(run.output.text.length).toBeLessThanOrEqual(MAX_CHECK_OUTPUT_CHARS);
    const summaries = gh.checkRuns[0]!.history.map((h) => String(h.output?.summary ?? ''));
    for (const summary of summaries) expect(summary.length).toBeLessThanOrEqual(MAX_CHECK_OUTPUT_CHARS);
    expect(summaries.join('\n')).toMatch(/left out here \(GitHub's size limit\)/);
    expect(run.output.text).toMatch(/^🛡️ Approved by @bob\./);
  });

  it('fits text at a line boundary and leaves short text alone', () => {
    expect(fitText('a\nb', 10, 'nowhere')).toBe('a\nb');
    const long = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const fitted = fitText(long, 200, 'see the log', '\nTAIL');
    expect(fitted.length).toBeLessThanOrEqual(200);
    expect(fitted).toMatch(/^line 0\n/);
    expect(fitted).toMatch(/more lines left out here \(GitHub's size limit\); see the log\.\n$/);
  });
});
