import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import type { Sandbox } from '../../../sandbox/server.js';
import { fakeGitHub } from '../../helpers/github-server.js';
import { regionsConfigText, regionsSeed } from '../../helpers/regions.js';
import { deadPort, sandbox, serviceIn } from '../../helpers/sandbox.js';

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

async function cli(args: string[], env: Record<string, string>) {
  const out = { stdout: [] as string[], stderr: [] as string[] };
  const code = await main(args, {
    stdout: (t) => out.stdout.push(t),
    stderr: (t) => out.stderr.push(t),
    env: { API7_TOKEN: sb!.token, ...env },
  });
  return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') };
}

function configFile(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'api7-sync-fanout-'));
  mkdirSync(path.join(dir, '.github'));
  const file = path.join(dir, '.github', 'api7-sync.yml');
  writeFileSync(file, text);
  return file;
}

describe('api7-sync sync --to several environments', () => {
  it('one JSON document with every target; locks taken in sorted order; exit 1 when a wave failed', async () => {
    sb = await sandbox(regionsSeed());
    const file = configFile(regionsConfigText(sb, `{host: 127.0.0.1, port: ${await deadPort()}}`));
    const gh = await fakeGitHub();
    try {
      const run = await cli(
        [
          'sync',
          '--to',
          '@production',
          '--atomic',
          '--json',
          '--config',
          file,
          '--verify-timeout',
          '1500',
          '--lock',
          'acme/shop',
        ],
        { GITHUB_TOKEN: 'ghs_fanout', GITHUB_API_URL: gh.url },
      );
      expect(run.code, run.stderr).toBe(1);
      const doc = JSON.parse(run.stdout);
      expect(Object.keys(doc)).toEqual(['schemaVersion', 'targets', 'ok', 'durationMs']);
      expect(doc).toMatchObject({ schemaVersion: 1, ok: false });
      expect(
        doc.targets.map((t: any) => [t.to.environment, t.services[0].action, t.services[0].reason]),
      ).toEqual([
        ['eu', 'rolled-back', 'atomic-rollback'],
        ['us', 'rolled-back', 'verify-failed'],
        ['ap', 'refused', 'not-started'],
      ]);
      const claims = gh.requests
        .filter((r) => r.method === 'POST' && r.path.endsWith('/git/refs'))
        .map((r) => r.body.ref);
      expect(claims).toEqual([
        'refs/heads/api7-sync-lock/ap',
        'refs/heads/api7-sync-lock/eu',
        'refs/heads/api7-sync-lock/us',
      ]);
      expect(gh.refs.size).toBe(0);
      expect((await serviceIn(sb, 'eu', 'httpbin API')).version).toBe('0.9.0');
    } finally {
      await gh.close();
    }
  });

  it('plan --to a,b shows each target with its route diff; an unknown tag is a usage error', async () => {
    sb = await sandbox(regionsSeed());
    const file = configFile(regionsConfigText(sb, '{host: httpbin, port: 80}'));
    const plan = await cli(['plan', '--from', 'test', '--to', 'eu,ap', '--config', file], {});
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('plan test (测试网关组) -> eu (eu)');
    expect(plan.stdout).toContain('plan test (测试网关组) -> ap (ap)');
    expect(plan.stdout).toContain('routes of httpbin API: + anything');
    expect(plan.stderr).not.toContain('plan test (测试网关组) -> eu'); // results on stdout only
    const bad = await cli(['plan', '--to', '@nowhere', '--config', file], {});
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('no environment in');
    expect(bad.stderr).toContain('is tagged "nowhere"; tags there: production');
    const glass = await cli(
      ['plan', '--from', 'test', '--to', 'eu', '--config', file, '--break-glass', ' '],
      {},
    );
    expect(glass.code).toBe(64);
    expect(glass.stderr).toContain('--break-glass needs a reason');
  });
});
