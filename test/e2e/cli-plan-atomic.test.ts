/**
 * `plan` takes `--atomic` and `--no-atomic` as `sync` does, since all or none changes what a plan
 * reports: with one service refused, an atomic plan holds the other back (`atomic-refusal`) and
 * a plan with `--no-atomic` shows it planned, as the refusal's own message suggests.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/server.js';
import { runCli, writeRepo } from '../helpers/cli.js';
import { PROD, sandbox, TEST, walkthroughSeed, writes } from '../helpers/sandbox.js';

const TOKEN = 'a7ee-test-secret-token';

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

/** httpbin API can go; "orders" is not published in the test group, so it is refused. */
function repository(s: Sandbox): string {
  return writeRepo(`controlPlane:
  url: ${s.controlPlane}
environments:
  test:
    gatewayGroup: ${TEST}
  production:
    gatewayGroup: ${PROD}
    promoteFrom: test
services:
  httpbin API:
    runtime:
      production:
        upstream:
          nodes: [{host: httpbin, port: 80}]
  orders:
    runtime:
      production:
        upstream:
          nodes: [{host: httpbin, port: 80}]
`);
}

const PLAN = ['plan', '--from', 'test', '--to', 'production', '--json', '--no-route-diff'];
const actions = (stdout: string) =>
  Object.fromEntries(
    (JSON.parse(stdout).services as { name: string; action: string; reason: string | null }[]).map((s) => [
      s.name,
      `${s.action} ${s.reason}`,
    ]),
  );

describe('api7-sync plan --atomic / --no-atomic', () => {
  it('an atomic plan holds the others back; --no-atomic plans them; neither writes', async () => {
    sb = await sandbox(walkthroughSeed());
    const dir = repository(sb);
    const env = { API7_TOKEN: TOKEN };

    const atomic = await runCli(PLAN, env, dir);
    expect(atomic.code, atomic.stderr).toBe(2);
    expect(actions(atomic.stdout)).toEqual({
      'httpbin API': 'refused atomic-refusal',
      orders: 'refused unknown-service',
    });
    expect(JSON.parse(atomic.stdout).services[0].message).toMatch(/without atomic/);

    const loose = await runCli([...PLAN, '--no-atomic'], env, dir);
    expect(loose.code, loose.stderr).toBe(2);
    expect(actions(loose.stdout)).toEqual({
      'httpbin API': 'planned null',
      orders: 'refused unknown-service',
    });

    expect(actions((await runCli([...PLAN, '--atomic'], env, dir)).stdout)).toEqual(actions(atomic.stdout));
    expect(await writes(sb)).toEqual([]);
  });

  it('--atomic with --no-atomic is a usage error naming both, exit 64', async () => {
    sb = await sandbox(walkthroughSeed());
    const res = await runCli([...PLAN, '--atomic', '--no-atomic'], { API7_TOKEN: TOKEN }, repository(sb));
    expect(res.code).toBe(64);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/--atomic and --no-atomic contradict each other/);
  });
});
