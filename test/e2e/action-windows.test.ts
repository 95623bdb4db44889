/**
 * A promotion window closed now, seen from the Action's bundle: a dry run (the nightly drift
 * check) goes through with a warning, a sync is refused, and the refusal names the Action's own
 * way to break glass, its `break-glass` input, not the CLI's flag.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { API7_TOKEN, runActionStep } from '../helpers/action.js';
import { HTTPBIN_SERVICE } from '../helpers/engine.js';
import { PROD, sandbox, serviceIn, TEST, walkthroughSeed, writes } from '../helpers/sandbox.js';

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

/** A window on another day of the week than today (UTC): closed now, whatever the hour. */
function closedWindowWorkspace(s: Sandbox): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const other = days[(new Date().getUTCDay() + 3) % 7];
  const dir = mkdtempSync(path.join(tmpdir(), 'action-windows-'));
  mkdirSync(path.join(dir, '.github'));
  writeFileSync(
    path.join(dir, '.github', 'api7-sync.yml'),
    `controlPlane: {url: "${s.controlPlane}"}
environments:
  test: {gatewayGroup: ${TEST}}
  production:
    gatewayGroup: ${PROD}
    gatewayUrl: "${s.gateways[PROD]}"
    promoteFrom: test
    protection:
      windows: {timezone: UTC, allow: ["${other} 09:00-17:00"]}
services:
${HTTPBIN_SERVICE}`,
  );
  return dir;
}

const OFFLINE = { lock: 'false', 'record-deployment': 'false', from: 'test', to: 'production' };

describe('the Action outside a promotion window', () => {
  it('a dry run warns and succeeds; a sync is refused, naming the break-glass input; the input runs it', async () => {
    sb = await sandbox(walkthroughSeed({ token: API7_TOKEN }));
    const dir = closedWindowWorkspace(sb);

    const dry = await runActionStep(undefined, dir, { ...OFFLINE, 'dry-run': 'true' });
    expect(dry.code, dry.log).toBe(0);
    const planned = JSON.parse(dry.outputs.result!).services[0];
    expect(planned).toMatchObject({ action: 'planned', reason: null });
    expect(planned.warnings[0]).toMatch(/^outside the promotion windows, a sync would be refused/);
    expect(dry.outputs.changed).toBe('true');

    const sync = await runActionStep(undefined, dir, OFFLINE);
    expect(sync.code).toBe(1);
    const refused = JSON.parse(sync.outputs.result!).services[0];
    expect(refused).toMatchObject({ action: 'refused', reason: 'outside-window' });
    expect(refused.message).toContain(
      "override with the Action's `break-glass` input (with: break-glass: REASON)",
    );
    expect(sync.log).not.toContain('--break-glass');
    expect(await writes(sb)).toEqual([]);

    const glass = await runActionStep(undefined, dir, { ...OFFLINE, 'break-glass': 'INC-7 hotfix' });
    expect(glass.code, glass.log).toBe(0);
    expect(JSON.parse(glass.outputs.result!).breakGlass).toEqual({ reason: 'INC-7 hotfix', overrode: true });
    expect((await serviceIn(sb, PROD, 'httpbin API')).version).toBe('1.0.0');
  });
});
