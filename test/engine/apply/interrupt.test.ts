/**
 * Cancellation inside apply (DESIGN §15), over real HTTP on the sandbox: once the signal is
 * aborted no new write starts, the all-or-none and rollback rules decide what is undone, and each
 * service that had not finished says `interrupted` and what the target runs now.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ApplyProgress } from '../../../engine/index.js';
import { parseConfig } from '../../../engine/config/load.js';
import type { Sandbox } from '../../../sandbox/server.js';
import { engineFor } from '../../helpers/engine.js';
import {
  firstChangeIn,
  manyServicesConfig,
  manyServicesSeed,
  runningIn,
  serviceName,
} from '../../helpers/many-services.js';
import { PROD, sandbox, writes } from '../../helpers/sandbox.js';

const N = 20;
let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

async function setUp(failing?: number) {
  sb = await sandbox(manyServicesSeed(N));
  const config = parseConfig(manyServicesConfig(N, failing), '.github/api7-sync.yml', {
    env: { CP: sb.controlPlane, PROD_GW: sb.gateways[PROD]! },
  });
  const engine = engineFor(sb, config);
  const plan = await engine.plan({ from: 'test', to: 'production', routeDiff: false });
  return { engine, plan };
}

describe('an interrupted promotion', () => {
  it('all-or-none: stops writing at the interrupt, undoes every service, and says interrupted', async () => {
    const { engine, plan } = await setUp(7);
    const cancel = new AbortController();
    const events: ApplyProgress[] = [];
    void firstChangeIn(sb!, PROD).then(() => cancel.abort());
    const result = await engine.apply(plan, {
      verifyTimeoutMs: 10_000,
      confirmMs: 50,
      signal: cancel.signal,
      onProgress: (e) => events.push(e),
    });
    await engine.close();
    expect(cancel.signal.aborted).toBe(true);
    expect(result.ok).toBe(false);
    // Nobody is left on 1.0.0: all or none.
    const running = await runningIn(sb!, PROD);
    expect([...running.values()]).toEqual(Array(N).fill('0.9.0'));
    for (const s of result.services) {
      expect(s.action, `${s.name}: ${s.message}`).toBe('interrupted');
      expect(s.reason).toBe('interrupted');
      // What the target runs now, in words.
      expect(s.message).toMatch(/interrupted/);
      expect(s.message).toMatch(/0\.9\.0/);
    }
    expect(events[0]).toMatchObject({ step: 'start', total: N, targetEnvironment: 'production' });
  });

  it('not all-or-none: what finished before the interrupt stays synced; the rest is undone', async () => {
    const { engine, plan } = await setUp();
    const cancel = new AbortController();
    const verified: string[] = [];
    const result = await engine.apply(plan, {
      atomic: false,
      verifyTimeoutMs: 10_000,
      confirmMs: 50,
      signal: cancel.signal,
      onProgress: (e) => {
        if (e.step === 'verified') {
          verified.push(e.service);
          cancel.abort();
        }
      },
    });
    await engine.close();
    const running = await runningIn(sb!, PROD);
    for (const s of result.services) {
      if (s.action === 'synced') {
        expect(verified).toContain(s.name);
        expect(running.get(s.name)).toBe('1.0.0');
      } else {
        expect(s.action, `${s.name}: ${s.message}`).toBe('interrupted');
        expect(running.get(s.name)).toBe('0.9.0');
      }
    }
    expect(result.services.filter((s) => s.action === 'synced').length).toBeGreaterThan(0);
  });

  it('interrupted before apply: nothing is written and every service says what still runs', async () => {
    const { engine, plan } = await setUp();
    const cancel = new AbortController();
    cancel.abort();
    const before = (await writes(sb!)).length;
    const result = await engine.apply(plan, { signal: cancel.signal });
    await engine.close();
    expect((await writes(sb!)).length).toBe(before);
    expect(result.services.map((s) => s.action)).toEqual(Array(N).fill('interrupted'));
    expect(result.services[0]!.message).toBe(
      `the promotion was interrupted before "${serviceName(0)}" was written; the target still runs 0.9.0 of it; nothing was written to the target group`,
    );
  });
});
