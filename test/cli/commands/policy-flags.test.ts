import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { checkWindows } from '../../../engine/policy/windows.js';
import type { Sandbox } from '../../../sandbox/server.js';
import {
  api,
  groupId,
  PROD,
  sandbox,
  serviceIn,
  TEST,
  withProductionAt090,
  writes,
} from '../../helpers/sandbox.js';

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

async function cli(args: string[]) {
  const out = { stdout: [] as string[], stderr: [] as string[] };
  const code = await main(args, {
    stdout: (t) => out.stdout.push(t),
    stderr: (t) => out.stderr.push(t),
    env: { API7_TOKEN: sb!.token },
  });
  return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') };
}

/** A window three days from today (UTC): closed whenever the test runs, even across midnight. */
const DAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][(new Date().getUTCDay() + 3) % 7]!;
const WINDOWS = { timezone: 'UTC', allow: [`${DAY} 09:00-17:00`] };

function configFile(sb: Sandbox, protection = ''): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'api7-sync-policy-'));
  mkdirSync(path.join(dir, '.github'));
  const file = path.join(dir, '.github', 'api7-sync.yml');
  writeFileSync(
    file,
    `controlPlane:
  url: ${sb.controlPlane}
environments:
  test:
    gatewayGroup: ${TEST}
  production:
    gatewayGroup: ${PROD}
    gatewayUrl: ${sb.gateways[PROD]}
    promoteFrom: test
${protection}services:
  httpbin API:
    runtime:
      production:
        upstream: {nodes: [{host: httpbin, port: 80}]}
    verify:
      - {path: /headers}
`,
  );
  return file;
}

describe('api7-sync policy flags', () => {
  it('a hand-edited target exits 2 (target-edited) with no write; --force syncs it', async () => {
    sb = await sandbox(withProductionAt090());
    const prod = await serviceIn(sb, PROD, 'httpbin API');
    await api(sb, 'PUT', `/apisix/admin/routes/by-hand?gateway_group_id=${await groupId(sb, PROD)}`, {
      name: 'by-hand',
      service_id: prod.id,
      paths: ['/ip'],
    });
    await api(sb, 'DELETE', '/sandbox/requests', undefined, null);
    const file = configFile(sb);
    const refused = await cli(['sync', '--from', 'test', '--to', 'production', '--config', file, '--json']);
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout).services[0]).toMatchObject({
      action: 'refused',
      reason: 'target-edited',
    });
    expect(await writes(sb)).toEqual([]);
    const forced = await cli([
      'sync',
      '--from',
      'test',
      '--to',
      'production',
      '--config',
      file,
      '--force',
      '--json',
    ]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout).services[0]).toMatchObject({ action: 'synced', version: '1.0.0' });
  });

  it('outside the windows a sync exits 2 (outside-window) but its plan and dry run only warn; --break-glass runs and records the reason', async () => {
    sb = await sandbox(withProductionAt090());
    expect(checkWindows(WINDOWS, Date.now()).open).toBe(false);
    const file = configFile(
      sb,
      `    protection:\n      windows: {timezone: ${WINDOWS.timezone}, allow: ["${WINDOWS.allow[0]}"]}\n`,
    );
    for (const planOnly of [['plan'], ['sync', '--dry-run']]) {
      const planned = await cli([
        ...planOnly,
        '--from',
        'test',
        '--to',
        'production',
        '--config',
        file,
        '--json',
      ]);
      expect(planned.code, planned.stderr).toBe(0);
      const entry = JSON.parse(planned.stdout).services[0];
      expect(entry).toMatchObject({ action: 'planned', reason: null });
      expect(entry.warnings.join('\n')).toContain(
        `outside the promotion windows, a sync would be refused: "production" takes promotions only ${DAY} 09:00-17:00 (UTC)`,
      );
    }
    expect(await writes(sb)).toEqual([]);
    const closed = await cli(['sync', '--from', 'test', '--to', 'production', '--config', file, '--json']);
    const entry = JSON.parse(closed.stdout).services[0];
    expect(closed.code).toBe(2);
    expect(entry).toMatchObject({ action: 'refused', reason: 'outside-window' });
    expect(entry.message).toContain(`takes promotions only ${DAY} 09:00-17:00 (UTC)`);
    expect(entry.message).toContain('override with --break-glass REASON');
    expect(await writes(sb)).toEqual([]);
    const glass = await cli([
      'sync',
      '--from',
      'test',
      '--to',
      'production',
      '--config',
      file,
      '--break-glass',
      'INC-9 hotfix',
    ]);
    expect(glass.code, glass.stderr).toBe(0);
    expect(glass.stdout).toContain('break glass (outside the promotion windows): INC-9 hotfix');
    expect(glass.stdout).toContain('routes of httpbin API: + anything');
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
  });
});
