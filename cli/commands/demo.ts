import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { createEngine, resultText, type Config } from '../../engine/index.js';
import { startSandbox } from '../../sandbox/server.js';
import { WALKTHROUGH, walkthroughSeed } from '../../sandbox/walkthrough.js';
import type { Io } from '../io.js';

const { test: TEST_GROUP, production: PRODUCTION_GROUP, service: SERVICE } = WALKTHROUGH;

/**
 * `api7-sync demo`: API7's "sync a published service version to another gateway group"
 * walkthrough, end to end, on an in-process sandbox with its own token.
 */
export async function demoCommand(
  values: { 'api7-version'?: string; keep?: boolean },
  io: Io,
): Promise<number> {
  // The demo never uses the user's API7_TOKEN: its sandbox gets a throwaway one.
  const token = `a7ee-demo-${randomBytes(12).toString('hex')}`;
  const api7Version = values['api7-version'] ?? '3.5.0';
  const sandbox = await startSandbox({ seed: walkthroughSeed(token), api7Version, log: (l) => io.stderr(l) });
  const productionGateway = sandbox.gateways[PRODUCTION_GROUP]!;
  const config: Config = {
    file: '(demo config)',
    controlPlane: { url: sandbox.controlPlane },
    environments: {
      test: { gatewayGroup: TEST_GROUP, gatewayUrl: sandbox.gateways[TEST_GROUP] },
      production: { gatewayGroup: PRODUCTION_GROUP, gatewayUrl: productionGateway, promoteFrom: 'test' },
    },
    services: {
      [SERVICE]: {
        runtime: {
          // Production keeps its own upstream: the sandbox's stand-in for httpbin.org:80.
          production: { upstream: { nodes: [{ host: 'httpbin', port: 80, weight: 100 }], passHost: 'node' } },
        },
        verify: [{ path: '/headers', status: 200 }],
      },
    },
  };
  const engine = createEngine({ config, token, logger: (l) => io.stderr(`  ${l}`) });
  try {
    io.stderr(
      `demo: API7 ${api7Version} sandbox at ${sandbox.controlPlane}; "${SERVICE}" 1.0.0 runs in ${TEST_GROUP}`,
    );
    const before = await engine.status();
    io.stderr(`demo: before: ${JSON.stringify(before.services[0]?.versions)}`);
    const plan = await engine.plan({ from: 'test', to: 'production', expectVersion: '1.0.0' });
    io.stderr(resultText(await engine.apply(plan, { dryRun: true })));
    io.stderr(`demo: syncing ${TEST_GROUP} → ${PRODUCTION_GROUP}`);
    const result = await engine.apply(plan, {});
    io.stderr(resultText(result));
    const after = await engine.status();
    io.stderr(`demo: after: ${JSON.stringify(after.services[0]?.versions)}`);
    if (!result.ok) {
      io.stderr('demo: the sync did not succeed');
      return 1;
    }
    io.stderr(`demo: curl ${productionGateway}/headers`);
    const res = await request(`${productionGateway}/headers`);
    const text = await res.body.text();
    io.stdout(text.trimEnd());
    if (values.keep) {
      io.stderr(
        `demo: sandbox left running (Ctrl-C to stop): ${JSON.stringify({ controlPlane: sandbox.controlPlane, token, gateways: sandbox.gateways })}`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
    return res.statusCode === 200 ? 0 : 1;
  } finally {
    await engine.close();
    await sandbox.close();
  }
}
