import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { promote } from '../../action/promote.js';
import type { Inputs } from '../../action/io.js';
import type { Sandbox } from '../../sandbox/server.js';
import { regionsConfig, regionsSeed } from '../helpers/regions.js';
import { deadPort, sandbox, serviceIn } from '../helpers/sandbox.js';

let sb: Sandbox | undefined;
const saved = process.env.GITHUB_OUTPUT;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
  if (saved === undefined) delete process.env.GITHUB_OUTPUT;
  else process.env.GITHUB_OUTPUT = saved;
});

function inputs(sb: Sandbox, extra: Partial<Inputs>): Inputs {
  return {
    from: 'test',
    to: 'eu,us,ap',
    services: [],
    config: '.github/api7-sync.yml',
    token: sb.token,
    dryRun: false,
    verify: true,
    verifyTimeoutMs: 1_500,
    rollbackOnFailure: true,
    lock: false,
    lockWaitSeconds: 0,
    recordDeployment: false,
    heartbeatMs: 60_000,
    force: false,
    routeDiff: true,
    atomic: false,
    ...extra,
  };
}

describe('the Action with several targets', () => {
  it('to: eu,us,ap with atomic: the result output lists each target; the first region is restored', async () => {
    sb = await sandbox(regionsSeed());
    const config = regionsConfig(sb, `{host: 127.0.0.1, port: ${await deadPort()}}`);
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'fanout-out-')), 'output');
    writeFileSync(out, '');
    process.env.GITHUB_OUTPUT = out;
    const { result } = await promote(inputs(sb, { atomic: true, breakGlass: 'INC-7' }), config);
    expect(result.ok).toBe(false);
    const written = readFileSync(out, 'utf8');
    const doc = JSON.parse(/^result<<(.+)\n([\s\S]*?)\n\1$/m.exec(written)![2]!);
    expect(doc.targets.map((t: any) => [t.to.environment, t.services[0].action])).toEqual([
      ['eu', 'rolled-back'],
      ['us', 'rolled-back'],
      ['ap', 'refused'],
    ]);
    expect(doc.breakGlass).toEqual({ reason: 'INC-7', overrode: false });
    expect((await serviceIn(sb, 'eu', 'httpbin API')).version).toBe('0.9.0');
  });

  it('an unknown tag in to is an input error', async () => {
    sb = await sandbox(regionsSeed());
    const config = regionsConfig(sb, '{host: httpbin, port: 80}');
    await expect(promote(inputs(sb, { to: '@nowhere' }), config)).rejects.toThrow(
      'input to: no environment in .github/api7-sync.yml is tagged "nowhere"',
    );
  });
});
