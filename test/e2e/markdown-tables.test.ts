/**
 * Every Markdown output the project posts, read by a real CommonMark + GFM parser, table by
 * table: the Action's job summary (one target and a fan-out), the chat-ops status comment body,
 * and the Check Run summaries. Each table must come out with the header and the rows intended:
 * in GFM a table row right after another table (no blank line) silently joins that table.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { promotionMarkdown } from '../../chatops/render.js';
import { statusMarkdown, summaryMarkdown, type SyncResult } from '../../engine/index.js';
import { planSummary, resultSummary } from '../../github/check-run-summary.js';
import type { Sandbox } from '../../sandbox/server.js';
import { API7_TOKEN, runActionStep } from '../helpers/action.js';
import { configFor, engineFor, HTTPBIN_SERVICE, QUICK } from '../helpers/engine.js';
import { tables } from '../helpers/markdown.js';
import { regionsConfigText, regionsSeed, REGIONS } from '../helpers/regions.js';
import { sandbox, walkthroughSeed } from '../helpers/sandbox.js';

const RESULT_HEADER = ['Service', 'Result', 'Version', 'Runtime', 'Verify', 'Note'];
const ROUTES_HEADER = ['Service', 'Route changes'];

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

function workspace(config: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'markdown-ws-'));
  mkdirSync(path.join(dir, '.github'));
  writeFileSync(path.join(dir, '.github', 'api7-sync.yml'), config);
  return dir;
}

/** No GitHub at all: the job summary is the only thing looked at. */
const OFFLINE = { lock: 'false', 'record-deployment': 'false' };

describe('the Action job summary', () => {
  it('one target: the results table, then the route-changes table, each parsed on its own', async () => {
    sb = await sandbox(walkthroughSeed({ token: API7_TOKEN }));
    const config = `controlPlane: {url: "${sb.controlPlane}"}
environments:
  test: {gatewayGroup: 测试网关组}
  production: {gatewayGroup: 生产网关组, gatewayUrl: "${sb.gateways['生产网关组']}", promoteFrom: test}
services:
${HTTPBIN_SERVICE}`;
    const run = await runActionStep(undefined, workspace(config), {
      from: 'test',
      to: 'production',
      ...OFFLINE,
    });
    expect(run.code, run.log).toBe(0);
    const [results, routes, ...rest] = tables(run.summary);
    expect(rest).toEqual([]);
    expect(results).toEqual({
      header: RESULT_HEADER,
      rows: [
        [
          expect.stringContaining('httpbin API'),
          '✅ synced',
          expect.any(String),
          expect.any(String),
          expect.stringContaining('/headers'),
          expect.any(String),
        ],
      ],
    });
    expect(routes!.header).toEqual(ROUTES_HEADER);
    expect(routes!.rows).toEqual([['httpbin API', expect.stringContaining('+ headers')]]);
  });

  it('a fan-out: two tables per target, none merged into another', async () => {
    sb = await sandbox({ ...regionsSeed(), token: API7_TOKEN });
    const run = await runActionStep(
      undefined,
      workspace(regionsConfigText(sb, '{host: httpbin, port: 80}')),
      {
        to: '@production',
        from: 'test',
        ...OFFLINE,
      },
    );
    expect(run.code, run.log).toBe(0);
    const parsed = tables(run.summary);
    expect(parsed.map((t) => t.header)).toEqual(REGIONS.flatMap(() => [RESULT_HEADER, ROUTES_HEADER]));
    for (const t of parsed) expect(t.rows).toHaveLength(1);
  });
});

describe('PR comments and Check Runs', () => {
  async function planAndResult(): Promise<{ planned: SyncResult; done: SyncResult }> {
    sb = await sandbox();
    const engine = engineFor(sb, configFor(sb, HTTPBIN_SERVICE));
    try {
      const plan = await engine.plan({ from: 'test', to: 'production' });
      const planned = await engine.apply(plan, { dryRun: true });
      const done = await engine.apply(plan, QUICK);
      return { planned, done };
    } finally {
      await engine.close();
    }
  }

  it('the status comment body: the plan table, then the route changes, apart', async () => {
    const { planned, done } = await planAndResult();
    for (const result of [planned, done]) {
      const [table, routes, ...rest] = tables(promotionMarkdown(result));
      expect(rest).toEqual([]);
      expect(table!.header).toEqual(RESULT_HEADER);
      expect(table!.rows.map((r) => r[0])).toEqual(['httpbin API']);
      expect(routes).toEqual({
        header: ROUTES_HEADER,
        rows: [['httpbin API', expect.stringContaining('+ headers')]],
      });
    }
  });

  it('Check Run summaries: one table each, with the columns of a plan and of a result', async () => {
    const { planned, done } = await planAndResult();
    const [plan, ...planRest] = tables(planSummary(planned, 'Waiting for 1 approval'));
    expect(planRest).toEqual([]);
    expect(plan!.header).toEqual(['Service', 'Plan', 'Version', 'Runtime', 'Drift', 'Route changes']);
    expect(plan!.rows).toEqual([
      [
        'httpbin API',
        '📝 will sync',
        expect.any(String),
        expect.any(String),
        expect.any(String),
        expect.stringMatching(/added .*headers/),
      ],
    ]);
    const [result, ...resultRest] = tables(resultSummary(done));
    expect(resultRest).toEqual([]);
    expect(result!.header).toEqual(RESULT_HEADER);
    expect(result!.rows).toEqual([
      [
        'httpbin API',
        '✅ synced',
        expect.any(String),
        expect.any(String),
        expect.stringContaining('/headers'),
        '',
      ],
    ]);
  });

  it('a service name with pipes and a newline stays in its cell in every output', async () => {
    const { done } = await planAndResult();
    const name = 'evil | name\n| x | y |';
    const hostile: SyncResult = {
      ...done,
      services: done.services.map((s) => ({
        ...s,
        name,
        routes: { added: ['a|b'], removed: [], changed: [] },
      })),
    };
    for (const md of [summaryMarkdown(hostile), promotionMarkdown(hostile), resultSummary(hostile)]) {
      const parsed = tables(md);
      for (const t of parsed) {
        expect(t.rows).toHaveLength(1);
        for (const row of t.rows) expect(row).toHaveLength(t.header.length);
        expect(t.rows[0]![0]).toContain('evil');
      }
    }
  });

  it('the version matrix of /status is one table with a row per service', async () => {
    sb = await sandbox();
    const engine = engineFor(sb, configFor(sb, HTTPBIN_SERVICE));
    try {
      const [matrix, ...rest] = tables(statusMarkdown(await engine.status()));
      expect(rest).toEqual([]);
      expect(matrix!.header).toEqual(['Service', 'test', 'production']);
      expect(matrix!.rows.map((r) => r[0])).toEqual(['httpbin API']);
    } finally {
      await engine.close();
    }
  });
});
