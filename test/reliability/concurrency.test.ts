/** Two promotions into one environment at once, as two processes: the lock keeps them apart. */
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeGitHub } from '../helpers/github-server.js';
import { PROD, sandbox, serviceIn, TEST, withProductionAt090 } from '../helpers/sandbox.js';
import { clockEnv } from '../helpers/clock.js';

const BIN = path.resolve('bin/api7-sync.js');

describe('two promotions into the same environment at once', () => {
  it('never hold the lock together, and leave the target consistent', async () => {
    const sb = await sandbox(withProductionAt090());
    const gh = await fakeGitHub();
    try {
      const dir = mkdtempSync(path.join(tmpdir(), 'concurrency-'));
      mkdirSync(path.join(dir, '.github'));
      writeFileSync(
        path.join(dir, '.github', 'api7-sync.yml'),
        `controlPlane: {url: ${sb.controlPlane}}
environments:
  test: {gatewayGroup: ${TEST}}
  production: {gatewayGroup: ${PROD}, gatewayUrl: ${sb.gateways[PROD]}, promoteFrom: test}
services:
  httpbin API:
    runtime: {production: {upstream: {nodes: [{host: httpbin, port: 80}]}}}
    verify: [{path: /headers}]
`,
      );
      const versionsBefore = sb.store.versions.size;
      const run = (...extra: string[]) =>
        new Promise<{ code: number | null; result: any }>((resolve) => {
          const child = spawn(
            process.execPath,
            [
              BIN,
              'sync',
              ...extra,
              '--from',
              'test',
              '--to',
              'production',
              '--lock',
              'acme/shop',
              '--json',
              '--verify-timeout',
              '3000',
            ],
            {
              cwd: dir,
              env: {
                PATH: process.env.PATH ?? '',
                ...clockEnv(),
                API7_TOKEN: sb.token,
                GITHUB_TOKEN: 'ghs_concurrency',
                GITHUB_API_URL: gh.url,
              },
            },
          );
          let out = '';
          child.stdout.on('data', (d) => (out += d));
          child.on('close', (code) => resolve({ code, result: out ? JSON.parse(out) : undefined }));
        });
      const outcomes = await Promise.all([run(), run()]);
      const actions = outcomes
        .map(
          (o) =>
            `${o.code} ${o.result.services[0].action}${o.result.services[0].reason ? ` ${o.result.services[0].reason}` : ''}`,
        )
        .sort();
      // Either one waited out the other's lock and was refused, or it came after and found nothing to do.
      expect([
        ['0 synced', '2 refused lock-held'],
        ['0 synced', '0 unchanged'],
      ]).toContainEqual(actions);
      const events = gh.refEvents.filter((e) => e.event !== 'moved').map((e) => e.event);
      expect(events.length % 2).toBe(0);
      events.forEach((e, i) => expect(e).toBe(i % 2 === 0 ? 'created' : 'deleted'));
      expect(gh.refs.size).toBe(0);

      // With --lock-wait they queue instead: the second plans again under the lock and finds
      // nothing left to do.
      const roll = spawn(
        process.execPath,
        [BIN, 'rollback', '--env', 'production', '--service', 'httpbin API', '--no-verify'],
        {
          cwd: dir,
          env: { PATH: process.env.PATH ?? '', ...clockEnv(), API7_TOKEN: sb.token },
        },
      );
      await new Promise((r) => roll.once('close', r));
      const queued = await Promise.all([run('--lock-wait', '60'), run('--lock-wait', '60')]);
      expect(queued.map((o) => `${o.code} ${o.result.services[0].action}`).sort()).toEqual([
        '0 synced',
        '0 unchanged',
      ]);
      expect(gh.refs.size).toBe(0);
      const target = await serviceIn(sb, PROD, 'httpbin API');
      expect(target).toMatchObject({ version: '1.0.0', status: 1 });
      expect(sb.store.versions.size).toBe(versionsBefore);
    } finally {
      await gh.close();
      await sb.close();
    }
  });
});
